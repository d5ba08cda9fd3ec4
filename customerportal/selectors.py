"""What the customer's portal shows, in the customer's words: the phases, each port
order's stage and date, port day, the customer's tasks and their documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from cutover.go.selectors import latest_decision
from e911.models import RemoteWorker
from e911.readiness.selectors import readiness
from esign.models import LoaSignature, SigningRequest
from esign.services import signing_due
from porting.models import CarrierAccount, PortOrder
from porting.selectors import customer_task_due
from porting.zones import order_zones
from tenancy import clock
from tenancy.portal import LinkState, enter_link_organization, hash_token, well_formed

from .models import CustomerPortalLink, Questionnaire, StuckFlag

State = PortOrder.State
# How a port order's state reads to the customer.
STAGES = {
    State.LOA_PENDING: "We are preparing the authorization letter",
    State.LOA_SUBMITTED: "Sent to the carriers: waiting for them to set the port date",
    State.FOC_RECEIVED: "Port date confirmed",
    State.PORT_DAY: "Porting today",
    State.COMPLETE: "Ported: your numbers ring on the new system",
    State.REJECTED: "The carrier asked for a correction: we are fixing it",
    State.PORT_FAILED: "The port did not complete: we are rescheduling it",
}


def find_link(token: str) -> CustomerPortalLink | None:
    if not well_formed(token):
        return None
    enter_link_organization(CustomerPortalLink, token)
    return (
        CustomerPortalLink.objects.select_related(
            "migration__customer", "migration__owner", "migration__organization"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


@dataclass
class Phase:
    key: str
    title: str
    state: str  # "done", "current", "later"
    detail: str = ""


@dataclass
class Task:
    key: str
    title: str
    status: str  # "todo", "done", "waiting" (for us), "info"
    detail: str
    due: date | None = None
    action: str = ""  # what the page offers: "bill", "email"
    account: object = None
    stuck: object = None

    @property
    def overdue(self) -> bool:
        return self.status == "todo" and self.due is not None and self.due < clock.today()


def _orders(migration):
    orders = list(
        PortOrder.objects.filter(migration=migration)
        .exclude(state=State.CANCELLED)
        .select_related("carrier_account")
        .annotate(number_count=Count("numbers"))
        .order_by("pk")
    )
    zones = order_zones(orders)
    for order in orders:
        order.stage = STAGES.get(order.state, order.get_state_display())
        order.zone = zones[order.pk]
        order.foc_local = order.foc_at.astimezone(zones[order.pk]) if order.foc_at else None
    return orders


def _phases(migration, orders, report) -> list[Phase]:
    has_inventory = migration.sites.filter(endpoints__isnull=False).exists()
    porting_done = bool(orders) and all(o.state == State.COMPLETE for o in orders)
    decision = latest_decision(migration)
    went = decision is not None and decision.decision == "go"
    e911_ready = not report.blocking
    done = porting_done and migration.status == migration.Status.COMPLETED
    steps = [
        ("inventory", "Inventory: your sites, phones and numbers", has_inventory),
        ("porting", "Porting: moving your numbers", porting_done),
        ("e911", "911: every phone reports the right address", e911_ready),
        ("cutover", "Cutover: the switch to the new system", went),
        ("done", "Done", done),
    ]
    phases, current_found = [], False
    for key, title, finished in steps:
        if finished:
            state = "done"
        elif not current_found:
            state, current_found = "current", True
        else:
            state = "later"
        phases.append(Phase(key, title, state))
    return phases


def _loa_tasks(migration, orders, now) -> list[Task]:
    tasks = []
    open_orders = [o for o in orders if o.is_open]
    live = {}
    for request in SigningRequest.objects.filter(
        loa__port_order__in=open_orders, revoked_at=None, used_at=None, expires_at__gt=now
    ).select_related("loa"):
        live.setdefault(request.loa.port_order_id, request)
    signed = set(
        LoaSignature.objects.filter(loa__port_order__in=open_orders).values_list(
            "loa__port_order_id", flat=True
        )
    )
    for order in open_orders:
        key = f"loa:{order.pk}"
        title = f"Sign the Letter of Authorization for {order.carrier_account.carrier_name}"
        request = live.get(order.pk)
        loa = order.current_loa()
        if loa is not None and loa.is_signed and loa.has_portal_signature():
            tasks.append(Task(key, title, "done", "Signed. The sealed copy is under Documents."))
        elif request is not None and request.link_state(now) == LinkState.ACTIVE:
            tasks.append(
                Task(
                    key,
                    title,
                    "todo",
                    f"We emailed the signing link to {request.email} on "
                    f"{request.created_at:%b %d}. Open it from that email to read and sign.",
                    due=signing_due(request, migration),
                    action="email",
                )
            )
        elif order.pk in signed:
            tasks.append(
                Task(
                    key,
                    title,
                    "waiting",
                    "Signed before; the letter changed since, and we are preparing "
                    "the new version for you to sign.",
                )
            )
        else:
            tasks.append(
                Task(
                    key,
                    title,
                    "waiting",
                    "Waits for us: we are preparing the letter from your carrier's "
                    "records. You will get an email with a link to sign it.",
                )
            )
    return tasks


def _bill_tasks(migration, orders) -> list[Task]:
    accounts = CarrierAccount.objects.filter(
        pk__in={o.carrier_account_id for o in orders if o.is_open}
    ).annotate(bill_count=Count("bills"))
    due = customer_task_due(migration)
    tasks = []
    for account in accounts.order_by("carrier_name", "pk"):
        ending = account.account_number[-4:]
        title = f"Upload a recent bill from {account.carrier_name} (account ending {ending})"
        if account.bill_count:
            tasks.append(
                Task(
                    f"bill:{account.pk}",
                    title,
                    "done",
                    "Received: we compare it with the carrier's record.",
                    account=account,
                )
            )
        else:
            tasks.append(
                Task(
                    f"bill:{account.pk}",
                    title,
                    "todo",
                    "A PDF, or a photo or scan (PNG or JPEG), of a bill from the last 30 days: "
                    "the carrier compares the port request with the account as it bills it.",
                    due=due,
                    action="bill",
                    account=account,
                )
            )
    return tasks


def _remote_worker_task(migration) -> list[Task]:
    counts = RemoteWorker.objects.filter(migration=migration).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(links__isnull=False), distinct=True),
        confirmed=Count("pk", filter=Q(confirmed_at__isnull=False), distinct=True),
    )
    if not counts["total"]:
        return []
    total, sent, confirmed = counts["total"], counts["sent"], counts["confirmed"]
    status = "done" if confirmed == total else "info"
    return [
        Task(
            "remote-workers",
            "Remote workers confirm their home address for 911",
            status,
            f"Links sent to {sent} of {total} remote workers; {confirmed} confirmed. Each "
            "worker confirms from the email they received.",
        )
    ]


def _questionnaire_tasks(migration) -> list[Task]:
    answered = {q.site_id: q for q in Questionnaire.objects.filter(migration=migration)}
    due = customer_task_due(migration)
    tasks = []
    for site in migration.sites.order_by("name", "pk"):
        questionnaire = answered.get(site.pk)
        title = f"Answer the questionnaire for {site.name}"
        key = f"questionnaire:{site.pk}"
        if questionnaire is None or questionnaire.status == Questionnaire.Status.DRAFT:
            started = questionnaire is not None and questionnaire.people
            tasks.append(Task(
                key, title, "todo",
                ("Your draft is saved; finish and submit it. " if started else "")
                + "Who works there and on which phone, hunt groups, business hours and "
                "holidays, and where calls go after hours.",
                due=due, action="questionnaire", account=site,
            ))  # fmt: skip
        elif questionnaire.status == Questionnaire.Status.SUBMITTED:
            tasks.append(Task(key, title, "waiting",
                              f"Submitted {questionnaire.submitted_at:%b %d}: we are reviewing "
                              "it."))  # fmt: skip
        else:
            tasks.append(Task(key, title, "done", "Thank you: it is in our plan."))
    return tasks


def _contact_tasks(migration) -> list[Task]:
    tasks = []
    for site in migration.sites.order_by("name", "pk"):
        title = f"Confirm who we call at {site.name}"
        if site.contacts_confirmed_at:
            tasks.append(Task(f"contacts:{site.pk}", title, "done",
                              f"Confirmed {site.contacts_confirmed_at:%b %d} by "
                              f"{site.contacts_confirmed_by}.", account=site))  # fmt: skip
        else:
            tasks.append(Task(
                f"contacts:{site.pk}", title, "todo",
                "The person we call on port day and during the 911 test, and after hours. "
                "Correct anything that is wrong, then confirm.",
                due=customer_task_due(migration),
                action="contacts", account=site,
            ))  # fmt: skip
    return tasks


def customer_tasks(migration, *, orders=None, now=None) -> list[Task]:
    """The customer's tasks of a migration, as its portal shows them (also the API's)."""
    now = now or clock.now()
    orders = orders if orders is not None else _orders(migration)
    tasks = [
        *_loa_tasks(migration, orders, now),
        *_bill_tasks(migration, orders),
        *_questionnaire_tasks(migration),
        *_contact_tasks(migration),
        *_remote_worker_task(migration),
    ]
    flags = {f.task_key: f for f in StuckFlag.objects.filter(migration=migration, cleared_at=None)}
    for task in tasks:
        task.stuck = flags.get(task.key)
    return tasks


def portal_page(link: CustomerPortalLink, *, now=None) -> dict:
    now = now or clock.now()
    migration = link.migration
    orders = _orders(migration)
    report = readiness(migration)
    tasks = customer_tasks(migration, orders=orders, now=now)
    documents = list(
        LoaSignature.objects.filter(loa__port_order__migration=migration)
        .select_related("loa__port_order__carrier_account")
        .order_by("-signed_at")
    )
    return {
        "migration": migration,
        "organization": migration.organization,
        "customer": migration.customer,
        "phases": _phases(migration, orders, report),
        "orders": orders,
        "port_days": [o for o in orders if o.foc_local and o.state != State.COMPLETE],
        "tasks": tasks,
        "open_tasks": [t for t in tasks if t.status == "todo"],
        "documents": documents,
        "e911_blocking": len(report.blocking),
        # The readiness report's items, without the PM's fix links and internal details.
        "readiness_items": report.items,
        "owner": migration.owner,
    }


def task_keys(link) -> dict[str, str]:
    """The keys and titles of the tasks the contact sees now (what may be flagged)."""
    return {t.key: t.title for t in customer_tasks(link.migration)}


def open_stuck_flags_in(organization, *, limit=20):
    """The organization's open stuck flags, oldest first, for its home page."""
    return list(
        StuckFlag.objects.for_org(organization)
        .filter(cleared_at=None)
        .select_related("migration__customer")
        .order_by("raised_at")[:limit]
    )


def open_stuck_flags(migration):
    return list(
        StuckFlag.objects.filter(migration=migration, cleared_at=None).order_by("raised_at")
    )


def pm_page(migration, now=None) -> dict:
    now = now or clock.now()
    links = list(CustomerPortalLink.objects.filter(migration=migration).select_related("sent_by"))
    for link in links:
        link.state = link.link_state(now)
    questionnaires = list(
        Questionnaire.objects.filter(migration=migration)
        .exclude(status=Questionnaire.Status.DRAFT)
        .select_related("site")
        .order_by("site__name")
    )
    return {"links": links, "flags": open_stuck_flags(migration), "questionnaires": questionnaires}
