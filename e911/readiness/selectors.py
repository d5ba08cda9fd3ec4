"""The migration's E911 and compliance readiness report: every item, blocking items
first. A blocking item prevents a "go" (the cutover uses `readiness(migration).ready`)
and, through the rule `e911_ready`, port day for the numbers it concerns."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from e911.compliance.selectors import compliance_register
from e911.karis.selectors import karis_law_items_for_sites
from e911.locations.selectors import coverage, registration_gaps_by_order
from e911.models import RemoteWorker
from porting.models import PortOrder
from tenancy.checks import Fix
from tenancy.text import listed


@dataclass
class ReadinessItem:
    section: str
    code: str
    title: str
    ok: bool
    blocking: bool = True  # when not ok
    detail: str = ""
    evidence: str = ""
    fix: Fix | None = None  # where it is cleared

    @property
    def state(self) -> str:
        if self.ok:
            return "ok"
        return "blocking" if self.blocking else "warning"


@dataclass
class Readiness:
    migration: object
    items: list[ReadinessItem] = field(default_factory=list)
    coverage: object = None
    # The customer's compliance register it was judged on, for a caller that shows it
    # too (the go/no-go list), so that it is read once.
    compliance_register: list | None = None

    @property
    def blocking(self) -> list[ReadinessItem]:
        return [i for i in self.items if not i.ok and i.blocking]

    @property
    def warnings(self) -> list[ReadinessItem]:
        return [i for i in self.items if not i.ok and not i.blocking]

    @property
    def passed(self) -> list[ReadinessItem]:
        return [i for i in self.items if i.ok]

    @property
    def ready(self) -> bool:
        return not self.blocking

    def ordered(self) -> list[ReadinessItem]:
        """Blocking items first, then warnings, then what is fine."""
        return self.blocking + self.warnings + self.passed

    def as_dict(self) -> dict:
        return {
            "migration": str(self.migration.uuid),
            "ready": self.ready,
            "blocking": len(self.blocking),
            "warnings": len(self.warnings),
            "items": [
                {
                    "section": i.section,
                    "code": i.code,
                    "title": i.title,
                    "state": i.state,
                    "detail": i.detail,
                    "evidence": i.evidence,
                }
                for i in self.ordered()
            ],
        }


LISTED = 6  # things the page names in an item's detail before "(+N more)"


def _listed(things, limit, *, total=None) -> str:
    return listed(things, limit, separator="; ", total=total)


def _page(name, migration, anchor=""):
    url = reverse(name, args=[migration.organization.slug, migration.uuid])
    return f"{url}#{anchor}" if anchor else url


def readiness_fix(migration) -> Fix:
    """Where E911 readiness is worked through: the readiness report, each item linked."""
    return Fix("Open the E911 readiness report", _page("migration-readiness", migration))


def _coverage_items(report, migration, limit) -> list[ReadinessItem]:
    items = []
    fix = Fix("Give these endpoints a location", _page("migration-e911", migration, "coverage"))
    for site, entry in sorted(report.by_site.items(), key=lambda kv: kv[0].name):
        missing = entry["missing"]
        items.append(
            ReadinessItem(
                "E911 coverage", f"coverage:{site.pk}",
                f"{site.name}: {entry['covered']} of {entry['total']} endpoints have a "
                "dispatchable location",
                ok=not missing,
                detail=_listed((f"{row.endpoint}: {row.problem}" for row in missing), limit),
                fix=fix,
            )
        )  # fmt: skip
    return items


def _remote_worker_items(migration, limit) -> list[ReadinessItem]:
    workers = list(RemoteWorker.objects.filter(migration=migration).order_by("name"))
    unconfirmed = [w for w in workers if w.confirmed_at is None]
    if not workers:
        return []
    return [
        ReadinessItem(
            "Remote workers", "remote_workers_confirmed",
            f"{len(workers) - len(unconfirmed)} of {len(workers)} remote workers confirmed "
            "their home location",
            ok=not unconfirmed, detail=_listed((w.name for w in unconfirmed), limit),
            fix=Fix("Send or re-send their links", _page("remote-worker-list", migration)),
        )
    ]  # fmt: skip


def _registration_items(migration, limit) -> list[ReadinessItem]:
    orders = list(
        PortOrder.objects.filter(migration=migration)
        .exclude(state__in=[PortOrder.State.CANCELLED])
        .select_related("carrier_account")
        .order_by("pk")
    )
    gaps = registration_gaps_by_order([o.pk for o in orders], limit=limit)
    fix = Fix("Register the numbers", _page("migration-e911", migration, "registrations"))
    items = []
    for order in orders:
        count, shown = gaps.get(order.pk, (0, []))
        items.append(
            ReadinessItem(
                "Registrations", f"registrations:{order.pk}",
                f"Order #{order.pk} ({order.carrier_account.carrier_name}): E911 registered at "
                "the winning carrier for every number",
                ok=not count,
                detail=_listed((f"{n.display}: {why}" for n, why in shown), limit, total=count),
                fix=fix,
            )
        )  # fmt: skip
    return items


def _adapt(section, item, prefix, fix=None) -> ReadinessItem:
    """A `tenancy.checks.Item` (Kari's Law, 933, compliance) as a readiness row; an item
    that is not required counts as fine."""
    return ReadinessItem(
        section,
        f"{prefix}:{item.code}",
        item.title,
        ok=item.ok or not item.required,
        blocking=item.blocking,
        detail=item.detail or item.reason,
        evidence=item.evidence,
        fix=item.fix or fix,
    )


def _karis_items(migration) -> list[ReadinessItem]:
    items = []
    sites = list(migration.sites.order_by("name"))
    by_site = karis_law_items_for_sites(sites)  # a fixed number of queries
    for site in sites:
        url = reverse("site-e911", args=[migration.organization.slug, site.pk])
        fix = Fix(f"Open {site.name}'s E911 page", url)
        for raw in by_site.get(site.pk, []):
            item = _adapt("Kari's Law and 933", raw, f"site{site.pk}", fix)
            item.title = f"{site.name}: {item.title}"
            items.append(item)
    return items


def _compliance_items(migration, register) -> list[ReadinessItem]:
    customer = migration.customer
    url = reverse("customer-compliance", args=[migration.organization.slug, customer.pk])
    fix = Fix("Record the evidence on the compliance register", f"{url}#record-evidence")
    return [_adapt("Compliance", raw, "compliance", fix) for raw in register]


def readiness(migration, *, limit: int | None = LISTED) -> Readiness:
    """`limit`: how many things an item's detail names before "(+N more)"; None names
    every one (the PDF: a printed record is never cut short)."""
    report = coverage(migration, load="missing")  # counts, and the rows it names
    result = Readiness(migration=migration, coverage=report)
    result.items += _coverage_items(report, migration, limit)
    result.items += _remote_worker_items(migration, limit)
    result.items += _registration_items(migration, limit)
    result.items += _karis_items(migration)
    result.compliance_register = compliance_register(migration.customer)
    result.items += _compliance_items(migration, result.compliance_register)
    return result
