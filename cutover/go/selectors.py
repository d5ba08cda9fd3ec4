"""Go / no-go per migration (docs/cutover-go-and-rollback.md; rules: docs/domain-rules.md).

Computed items (port orders FOC-confirmed, E911 readiness, pre-flight, network readiness
at every site, the compliance register, the rollback plan) and the manual sign-offs of
the go/no-go checklist (`SignOff.Item`), as `tenancy.checks.Item`s.
`port_day_preflight_refusal` is the porting rule `preflight_passed`: no number ports
while its phone's pre-flight has not passed (a phone with wrong SIP credentials loses
every call to its number from the moment it ports), unless an owner overrode with a
recorded "go"."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.urls import reverse

from cutover.models import GoNoGoDecision, NetworkAssessment, Preflight, RollbackStep, SignOff
from cutover.network.selectors import network_items
from cutover.preflight.selectors import preflight_summary
from e911.compliance.selectors import compliance_register
from e911.readiness.selectors import readiness, readiness_fix
from porting.models import PortOrder
from sites.models import Endpoint
from tenancy.checks import Fix, Item
from tenancy.text import listed

FOC_CONFIRMED_STATES = (
    PortOrder.State.FOC_RECEIVED, PortOrder.State.PORT_DAY, PortOrder.State.COMPLETE,
)  # fmt: skip


NOT_COUNTED_STATES = (PortOrder.State.CANCELLED,)


MANUAL_ITEMS = tuple(SignOff.Item)


DEFERRABLE = (SignOff.Item.PILOT_ISSUES,)


LISTED = 4  # names the page shows in an item's detail before "(+N more)"
LISTED_PER_SITE = 2  # missing network items named per site on the page


def _listed(things, limit=LISTED, *, total=None) -> str:
    return listed(things, limit, separator=", ", total=total)


def _fewer(limit, fewer):
    """The smaller count where the page names fewer; None (every name) stays None."""
    return None if limit is None else min(limit, fewer)


def _page(name, migration, label, anchor="") -> Fix:
    url = reverse(name, args=[migration.organization.slug, migration.uuid])
    return Fix(label, f"{url}#{anchor}" if anchor else url)


def sign_off_fix(migration, item, label="Sign it off") -> Fix:
    """The go page's sign-off form, with `item` already chosen."""
    url = reverse("cutover-go", args=[migration.organization.slug, migration.uuid])
    return Fix(label, f"{url}?sign_off={item}#sign-off")


def preflight_fix(migration) -> Fix:
    """Where pre-flight is finished: the migration's pre-flight page."""
    return _page("migration-preflight", migration, "Finish the pre-flight checklists")


def _foc_item(migration, limit) -> Item:
    orders = list(
        PortOrder.objects.filter(migration=migration)
        .exclude(state__in=NOT_COUNTED_STATES)
        .select_related("carrier_account")
        .order_by("pk")
    )
    title = "Every open port order FOC-confirmed"
    if not orders:
        return Item("foc_confirmed", title, False, detail="No port order yet.",
                    fix=_page("port-order-create", migration, "Create a port order"))  # fmt: skip
    waiting = [o for o in orders if o.state not in FOC_CONFIRMED_STATES]
    if waiting:
        shown = _listed((f"#{o.pk} ({o.get_state_display().lower()})" for o in waiting), limit)
        detail = f"{len(waiting)} of {len(orders)} order(s) without a FOC: {shown}."
        if len(waiting) == 1:
            url = reverse("port-order-detail", args=[migration.organization.slug, waiting[0].pk])
            fix = Fix(f"Open port order #{waiting[0].pk}", url)
        else:
            fix = _page("porting-board", migration, "Open the porting board")
        return Item("foc_confirmed", title, False, detail=detail, fix=fix)
    evidence = "; ".join(
        f"#{o.pk} FOC {o.foc_display}" + (f" ({o.foc_confirmation_number})"
                                         if o.foc_confirmation_number else "")
        for o in orders
    )  # fmt: skip
    return Item("foc_confirmed", title, True, detail=f"{len(orders)} order(s) confirmed.",
                evidence=evidence)  # fmt: skip


def _e911_item(migration, limit, report=None) -> Item:

    report = report or readiness(migration)
    blocking = report.blocking
    detail = (
        "No blocking item."
        if report.ready
        else f"{len(blocking)} blocking item(s): "
        + _listed((i.title for i in blocking), limit)
        + "."
    )
    return Item("e911_ready", "E911 readiness without blockers", report.ready, detail=detail,
                fix=readiness_fix(migration))  # fmt: skip


def _preflight_item(migration, limit, summary=None) -> Item:
    if summary is None:
        summary = preflight_summary(migration, limit=limit)
    title = "Every endpoint's pre-flight passed"
    if summary.total == 0:
        return Item("preflight_passed", title, False, detail="No endpoint in this migration.")
    passed = summary.counts.get(Preflight.Status.PASSED, 0)
    detail = f"{passed} of {summary.total} passed."
    if summary.not_passed:
        detail += " Not passed: " + _listed(
            (f"{e} ({e.preflight_status_display.lower()})" for e in summary.not_passed),
            limit, total=summary.not_passed_count,
        ) + "."  # fmt: skip
    return Item("preflight_passed", title, summary.all_passed, detail=detail,
                fix=preflight_fix(migration))  # fmt: skip


def _network_item(migration, limit) -> Item:
    sites = list(migration.sites.order_by("name", "pk"))
    title = "Network readiness signed off at every site"
    if not sites:
        return Item("network_ready", title, False, detail="No site in this migration.")
    assessments = {a.site_id: a for a in NetworkAssessment.objects.filter(site__in=sites)}
    desk = set(
        Endpoint.objects.filter(site__in=sites, kind=Endpoint.Kind.DESK_PHONE)
        .order_by()  # the default ordering would make DISTINCT return every endpoint
        .values_list("site_id", flat=True)
        .distinct()
    )
    problems, first_failing = [], None
    for site in sites:
        # A site without an assessment is judged on an empty one (no query per site).
        assessment = assessments.get(site.pk) or NetworkAssessment(site=site)
        items = network_items(site, assessment=assessment, has_desk_phones=site.pk in desk)
        missing = [i.title for i in items if not i.ok]
        if missing:
            shown = _listed(missing, _fewer(limit, LISTED_PER_SITE))
            problems.append(f"{site.name}: {len(missing)} missing ({shown})")
            first_failing = first_failing or site
    if problems:
        url = reverse("site-network", args=[migration.organization.slug, first_failing.pk])
        fix = Fix(f"Open {first_failing.name}'s network readiness", url)
        return Item("network_ready", title, False, detail="; ".join(problems) + ".", fix=fix)
    return Item("network_ready", title, True, detail=f"{len(sites)} site(s) ready.")


def _compliance_item(migration, limit, readiness=None) -> Item:
    register = getattr(readiness, "compliance_register", None)
    if register is None:
        register = compliance_register(migration.customer)
    missing = [i.title for i in register if i.required and not i.ok]
    title = "Compliance register complete"
    if missing:
        detail = f"{len(missing)} required item(s) missing: {_listed(missing, limit)}."
        url = reverse("customer-compliance",
                      args=[migration.organization.slug, migration.customer_id])  # fmt: skip
        fix = Fix("Record the evidence on the compliance register", f"{url}#record-evidence")
        return Item("compliance_complete", title, False, detail=detail, fix=fix)
    required = sum(1 for i in register if i.required)
    return Item("compliance_complete", title, True,
                detail=f"{required} required item(s) recorded.")  # fmt: skip


def _rollback_item(migration, signoffs, limit) -> Item:
    steps = list(RollbackStep.objects.filter(migration=migration).order_by("position", "pk"))
    title = "Rollback plan verified"
    problems = []
    if not steps:
        problems.append("No rollback step yet")
    no_owner = [s for s in steps if s.owner_id is None]
    if no_owner:
        titles = _listed([s.title for s in no_owner], _fewer(limit, LISTED_PER_SITE))
        problems.append(f"{len(no_owner)} step(s) without an owner ({titles})")
    consoles = signoffs.get(SignOff.Item.ROLLBACK_CONSOLES)
    if not _signed(consoles):
        problems.append("the rollback with console access is not signed off")
    if problems:
        detail = "; ".join(problems)
        if steps and not no_owner:  # only the consoles sign-off is left: a go-page sign-off
            fix = sign_off_fix(migration, SignOff.Item.ROLLBACK_CONSOLES,
                               "Sign off the rollback with console access")  # fmt: skip
        else:
            fix = _page("cutover-rollback", migration, "Open the rollback plan")
        return Item("rollback_verified", title, False,
                    detail=detail[0].upper() + detail[1:] + ".", fix=fix)  # fmt: skip
    return Item("rollback_verified", title, True,
                detail=f"{len(steps)} step(s), each with an owner; consoles verified.")  # fmt: skip


def _signed(row) -> bool:
    return row is not None and (row.confirmed or row.deferred)


def latest_signoffs(migration) -> dict:
    """Item -> its latest SignOff row (or absent)."""
    latest = {}
    for row in (
        SignOff.objects.filter(migration=migration)
        .select_related("signed_by")
        .order_by("-signed_at", "-pk")
    ):
        latest.setdefault(row.item, row)
    return latest


def _manual_item(code, row, migration=None) -> Item:
    title = SignOff.Item(code).label
    fix = sign_off_fix(migration, code) if migration else None
    if row is None:
        return Item(code, title, False, detail="Not signed off.", fix=fix)
    who = (row.signed_by.get_full_name() or row.signed_by.username) if row.signed_by else ""
    if row.deferred:
        detail = "Explicitly deferred"
    elif row.confirmed:
        detail = "Signed off"
    else:
        detail = "Sign-off withdrawn"
    detail += f": {row.note}" if row.note else "."
    return Item(code, title, _signed(row), detail=detail, who=who, when=row.signed_at,
                evidence=row.note, fix=fix)  # fmt: skip


@dataclass
class GoNoGo:
    migration: object
    computed: list = field(default_factory=list)
    manual: list = field(default_factory=list)
    signoffs: dict = field(default_factory=dict)

    @property
    def items(self) -> list:
        return self.computed + self.manual

    @property
    def computed_ok(self) -> bool:
        return all(i.ok for i in self.computed)

    @property
    def manual_ok(self) -> bool:
        return all(i.ok for i in self.manual)

    @property
    def ok(self) -> bool:
        return self.computed_ok and self.manual_ok

    @property
    def failing(self) -> list:
        return [i for i in self.items if not i.ok]


def go_no_go(migration, *, readiness=None, preflight=None, limit: int | None = LISTED) -> GoNoGo:
    """Every item, computed then manual, in a fixed number of queries. `readiness` may
    pass an E911 readiness report the caller has computed already (its coverage and
    compliance register are used), and `preflight` a pre-flight summary with the same
    `limit`. `limit`: how many names an item's detail shows before "(+N more)"; None
    shows every one (the PDF: a printed record is never cut short)."""
    signoffs = latest_signoffs(migration)
    computed = [
        _foc_item(migration, limit),
        _e911_item(migration, limit, readiness),
        _preflight_item(migration, limit, preflight),
        _network_item(migration, limit),
        _compliance_item(migration, limit, readiness),
        _rollback_item(migration, signoffs, limit),
    ]
    manual = [_manual_item(code, signoffs.get(code), migration) for code in SignOff.Item.values]
    return GoNoGo(migration=migration, computed=computed, manual=manual, signoffs=signoffs)


def snapshot(result: GoNoGo) -> list[dict]:
    rows = []
    for kind, items in (("computed", result.computed), ("manual", result.manual)):
        for item in items:
            data = asdict(item)
            rows.append({
                "kind": kind, "code": data["code"], "title": data["title"], "ok": data["ok"],
                "blocking": data["blocking"], "detail": data["detail"],
                "evidence": data["evidence"], "who": data["who"],
                "when": item.when.isoformat() if item.when else None,
            })  # fmt: skip
    return rows


def latest_decision(migration):
    return (
        GoNoGoDecision.objects.filter(migration=migration)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )


def decision_history(migration) -> list[GoNoGoDecision]:
    """Every decision, latest first, each with `failing`: the items of its snapshot that
    were not ready when it was taken. One query."""
    rows = list(
        GoNoGoDecision.objects.filter(migration=migration)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    )
    for row in rows:
        row.failing = [i for i in row.snapshot if not i.get("ok")]
    return rows


def overridden_go(migration) -> GoNoGoDecision | None:
    """The latest decision when it is a "go" an owner gave over failing items."""
    row = latest_decision(migration)
    if row and row.decision == GoNoGoDecision.Decision.GO and row.override_reason:
        return row
    return None


def port_day_preflight_refusal(order) -> str | None:
    """Rule `preflight_passed` on start_port_day: every endpoint behind the order's numbers
    has passed its pre-flight, unless the migration's latest decision is an owner's
    overriding "go". None when the order may go ahead."""
    numbers = list(order.numbers.select_related("endpoint", "endpoint__preflight"))
    untested = []
    for number in numbers:
        endpoint = number.endpoint
        if endpoint is None:
            continue
        try:
            status = endpoint.preflight.status
        except Preflight.DoesNotExist:
            status = Preflight.Status.NOT_STARTED
        if status != Preflight.Status.PASSED:
            label = Preflight.Status(status).label.lower()
            untested.append(f"{number.display} on {endpoint} ({label})")
    if not untested:
        return None
    if overridden_go(order.migration) is not None:
        return None
    return (
        f"{len(untested)} number(s) ring phones whose pre-flight has not passed: "
        f"{_listed(untested)}. Finish the pre-flight, or an owner records a “go” with an "
        "override reason on the go/no-go page."
    )
