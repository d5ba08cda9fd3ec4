"""E911 reads: where each endpoint's 911 call says it is, per site and per migration,
the registrations' gaps, and the porting rule `e911_ready` (registered on
porting.hooks.PORT_DAY_GATES)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from e911.models import (
    EXEMPTABLE_KINDS,
    DispatchableLocation,
    EndpointE911,
    Registration,
    RemoteWorker,
)
from porting.models import PortOrder
from sites.models import Site
from tenancy.text import listed

# What may dial 911. Fax, paging and "other" lines can be exempted as non-dialing.
NINE_ONE_ONE_CAPABLE = frozenset(
    {"desk_phone", "softphone", "ata", "dect", "conference", "fax", "paging", "other"}
)


# The endpoint fields a coverage row's readers use (its label, link, kind and site).
COVERAGE_FIELDS = ("id", "organization", "migration", "site", "kind", "extension",
                   "display_name", "is_remote_worker", "mac_address")  # fmt: skip


@dataclass
class EndpointCoverage:
    endpoint: object  # the Endpoint; None when coverage(load="missing") and covered
    location: DispatchableLocation | None
    source: str  # "own" | "site default" | "home" | "exempt" | ""
    covered: bool
    problem: str = ""
    endpoint_id: int = 0
    site: object = None

    @property
    def exempt(self) -> bool:
        return self.source == "exempt"

    @property
    def exemptable(self) -> bool:
        """A line that cannot dial 911 (fax, paging, other) may be exempted with a reason."""
        return self.endpoint is not None and self.endpoint.kind in EXEMPTABLE_KINDS


@dataclass
class CoverageReport:
    rows: list[EndpointCoverage]
    # site -> {"covered": n, "total": n, "missing": [rows]}
    by_site: dict = field(default_factory=dict)

    @property
    def missing(self) -> list[EndpointCoverage]:
        return [row for row in self.rows if not row.covered]

    @property
    def total(self) -> int:
        return len([row for row in self.rows if not row.exempt])

    @property
    def covered_count(self) -> int:
        return len([row for row in self.rows if row.covered and row.source != "exempt"])


def _location_problem(location: DispatchableLocation | None, what: str) -> str:
    if location is None:
        return f"No {what}."
    if not location.is_current:
        return "Its location was replaced."
    if not location.dispatchable:
        message = location.validation_message or location.get_validation_status_display()
        return f"The {what} is not dispatchable: {message}"
    return ""


def coverage(migration, *, load: str = "all") -> CoverageReport:
    """Every endpoint of the migration and the location its 911 calls carry, in a fixed
    number of queries. Office endpoints use their own location, else their site's
    default; an endpoint used by a remote worker needs that worker's confirmed home (the
    office address never counts for it); non-dialing fax/paging lines are exempt.

    The rule reads three columns per endpoint. `load="all"` also attaches each row's
    Endpoint (the E911 page lists them all); `load="missing"` only those of the rows not
    covered, which is all the readiness report, the dashboard and port day name: a
    5,000-seat migration then builds a handful of objects, not 5,000
    (docs/performance.md). The SIP password is never loaded."""
    if load not in ("all", "missing"):
        raise ValueError(f"load must be 'all' or 'missing', not {load!r}")
    # Each read below may see a commit made after the one before it (READ COMMITTED):
    # what a later read depends on is read after it, and a row that vanished in between
    # is left out rather than looked up blindly.
    seats = list(
        migration.endpoints.order_by("site__name", "extension", "pk").values_list(
            "pk", "site_id", "is_remote_worker"
        )
    )
    # Sites after their endpoints: an endpoint's site cannot be deleted (PROTECT).
    sites = {site.pk: site for site in Site.objects.filter(pk__in={s[1] for s in seats})}
    assignments = {
        a.endpoint_id: a
        for a in EndpointE911.objects.filter(endpoint__migration=migration).select_related(
            "location"
        )
    }
    defaults = {
        loc.site_id: loc
        for loc in DispatchableLocation.objects.filter(
            migration=migration, is_site_default=True, is_current=True
        )
    }
    homes = {
        loc.remote_worker_id: loc
        for loc in DispatchableLocation.objects.filter(
            migration=migration, remote_worker__isnull=False, is_current=True
        )
    }
    # An endpoint linked to several workers is judged on the first by name (the
    # workers' own ordering), as it always was.
    links = RemoteWorker.endpoints.through.objects.filter(remoteworker__migration=migration)
    pairs = list(
        links.order_by("remoteworker__name", "remoteworker_id", "pk").values_list(
            "endpoint_id", "remoteworker_id"
        )
    )
    workers = {w.pk: w for w in RemoteWorker.objects.filter(migration=migration)}
    worker_of = {}
    for endpoint_id, worker_id in pairs:
        if worker_id in workers:
            worker_of.setdefault(endpoint_id, workers[worker_id])

    rows = []
    for pk, site_id, is_remote_worker in seats:
        assignment = assignments.get(pk)
        worker = worker_of.get(pk)
        if assignment is not None and assignment.non_dialing:
            row = EndpointCoverage(None, None, "exempt", True, assignment.exempt_reason)
        elif worker is not None or is_remote_worker:
            if worker is None:
                problem = "Used from home, but no remote worker is linked to it."
                row = EndpointCoverage(None, None, "home", False, problem)
            else:
                home = homes.get(worker.pk)
                problem = _location_problem(home, f"home location for {worker.name}")
                if not problem and worker.confirmed_at is None:
                    problem = f"{worker.name} has not confirmed the home location."
                row = EndpointCoverage(None, home, "home", not problem, problem)
        else:
            if assignment is not None and assignment.location is not None:
                location, source, what = assignment.location, "own", "location of its own"
            else:
                location, source = defaults.get(site_id), "site default"
                what = "default location at the site"
            problem = _location_problem(location, what)
            row = EndpointCoverage(None, location, source, not problem, problem)
        row.endpoint_id, row.site = pk, sites[site_id]
        rows.append(row)
    if load == "all":
        gone = _attach_endpoints(migration, rows, every=True)
    else:
        gone = _attach_endpoints(migration, [r for r in rows if not r.covered], every=False)
    if gone:
        rows = [row for row in rows if row.endpoint_id not in gone]

    report = CoverageReport(rows=rows)
    for row in rows:
        entry = report.by_site.setdefault(row.site, {"covered": 0, "total": 0, "missing": []})
        if row.source == "exempt":
            continue
        entry["total"] += 1
        if row.covered:
            entry["covered"] += 1
        else:
            entry["missing"].append(row)
    return report


def _attach_endpoints(migration, rows, *, every: bool) -> set[int]:
    """Each row's Endpoint (only the fields a row's readers use), sharing the Site and
    Organization objects already loaded. Returns the ids of endpoints deleted since the
    rule read them (their rows are dropped)."""
    if not rows:
        return set()
    queryset = migration.endpoints.only(*COVERAGE_FIELDS)
    if not every:
        queryset = queryset.filter(pk__in=[row.endpoint_id for row in rows])
    by_pk = {e.pk: e for e in queryset}
    organization = migration.organization
    gone = set()
    for row in rows:
        endpoint = by_pk.get(row.endpoint_id)
        if endpoint is None:
            gone.add(row.endpoint_id)
            continue
        endpoint.site = row.site
        endpoint.organization = row.site.organization = organization
        row.endpoint = endpoint
    return gone


def _gap(registration) -> str | None:
    """Why a number with this registration (or None) is not registered, or None."""
    if registration is None:
        return "not registered at the winning carrier"
    if registration.status != Registration.Status.ACTIVE:
        why = registration.get_status_display().lower()
        detail = f": {registration.message}" if registration.message else ""
        return f"registration {why}{detail}"
    return None


def registration_gaps(numbers) -> list[tuple[object, str]]:
    """(number, why) for each number whose winning-carrier E911 registration is not
    active. `numbers` is an iterable of PhoneNumber."""
    numbers = list(numbers)
    registrations = {
        r.number_id: r for r in Registration.objects.filter(number__in=[n.pk for n in numbers])
    }
    gaps = []
    for number in numbers:
        why = _gap(registrations.get(number.pk))
        if why:
            gaps.append((number, why))
    return gaps


def registration_gaps_by_order(order_ids, *, limit: int | None) -> dict[int, tuple[int, list]]:
    """order id -> (how many of its numbers lack an active registration, the first
    `limit` of them (None: all) as (number, why)), counted and ranked by the database: two
    queries whatever the number of orders and numbers. Orders without a gap are left out."""
    gaps = PortOrder.numbers.through.objects.filter(portorder_id__in=list(order_ids)).exclude(
        phonenumber__e911_registration__status=Registration.Status.ACTIVE
    )
    counts = dict(
        gaps.order_by()
        .values_list("portorder_id")
        .annotate(n=Count("pk"))
        .values_list("portorder_id", "n")
    )
    if not counts:
        return {}
    shown = {order_id: [] for order_id in counts}
    ranked = (
        gaps.select_related("phonenumber__e911_registration")
        .annotate(rank=Window(RowNumber(), partition_by=F("portorder_id"),
                              order_by=F("phonenumber__number").asc()))
        .order_by("portorder_id", "rank")
    )  # fmt: skip
    if limit is not None:
        ranked = ranked.filter(rank__lte=limit)
    for link in ranked:
        number = link.phonenumber
        try:
            registration = number.e911_registration
        except Registration.DoesNotExist:
            registration = None
        shown[link.portorder_id].append((number, _gap(registration)))
    return {order_id: (n, shown[order_id]) for order_id, n in counts.items()}


def port_day_e911_refusal(order) -> str | None:
    """Why this port order may not reach port day for E911 reasons, or None: every number
    needs an active registration, and every endpoint behind its numbers a location."""
    numbers = list(order.numbers.select_related("endpoint"))
    problems = [f"{n.display}: {why}" for n, why in registration_gaps(numbers)]
    endpoint_ids = {n.endpoint_id for n in numbers if n.endpoint_id}
    if endpoint_ids:
        report = coverage(order.migration, load="missing")
        for row in report.rows:
            if row.endpoint_id in endpoint_ids and not row.covered:
                problems.append(f"{row.endpoint}: {row.problem}")
    if not problems:
        return None
    shown = listed(problems, 4)
    return f"E911 is not ready for these numbers ({len(problems)}): {shown}."
