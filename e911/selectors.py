"""E911 reads: where each endpoint's 911 call says it is, per site and per migration,
and the readiness report that gates port day and the cutover's "go"."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import DispatchableLocation, EndpointE911, Registration, RemoteWorker

# What may dial 911. Fax, paging and "other" lines can be exempted as non-dialing.
NINE_ONE_ONE_CAPABLE = frozenset(
    {"desk_phone", "softphone", "ata", "dect", "conference", "fax", "paging", "other"}
)


@dataclass
class EndpointCoverage:
    endpoint: object
    location: DispatchableLocation | None
    source: str  # "own" | "site default" | "home" | "exempt" | ""
    covered: bool
    problem: str = ""


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
        return len([row for row in self.rows if row.source != "exempt"])

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


def coverage(migration) -> CoverageReport:
    """Every endpoint of the migration and the location its 911 calls carry, in a fixed
    number of queries. Office endpoints use their own location, else their site's
    default; an endpoint used by a remote worker needs that worker's confirmed home (the
    office address never counts for it); non-dialing fax/paging lines are exempt."""
    endpoints = list(
        migration.endpoints.select_related("site").order_by("site__name", "extension", "pk")
    )
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
    workers = list(RemoteWorker.objects.filter(migration=migration).prefetch_related("endpoints"))
    homes = {
        loc.remote_worker_id: loc
        for loc in DispatchableLocation.objects.filter(
            migration=migration, remote_worker__isnull=False, is_current=True
        )
    }
    worker_of = {}
    for worker in workers:
        for endpoint in worker.endpoints.all():
            worker_of.setdefault(endpoint.pk, worker)

    rows = []
    for endpoint in endpoints:
        assignment = assignments.get(endpoint.pk)
        worker = worker_of.get(endpoint.pk)
        if assignment is not None and assignment.non_dialing:
            rows.append(EndpointCoverage(endpoint, None, "exempt", True, assignment.exempt_reason))
            continue
        if worker is not None or endpoint.is_remote_worker:
            if worker is None:
                problem = "Used from home, but no remote worker is linked to it."
                row = EndpointCoverage(endpoint, None, "home", False, problem)
            else:
                home = homes.get(worker.pk)
                problem = _location_problem(home, f"home location for {worker.name}")
                if not problem and worker.confirmed_at is None:
                    problem = f"{worker.name} has not confirmed the home location."
                row = EndpointCoverage(endpoint, home, "home", not problem, problem)
            rows.append(row)
            continue
        if assignment is not None and assignment.location is not None:
            location, source, what = assignment.location, "own", "location of its own"
        else:
            location, source, what = (
                defaults.get(endpoint.site_id),
                "site default",
                ("default location at the site"),
            )
        problem = _location_problem(location, what)
        rows.append(EndpointCoverage(endpoint, location, source, not problem, problem))

    report = CoverageReport(rows=rows)
    for row in rows:
        site = row.endpoint.site
        entry = report.by_site.setdefault(site, {"covered": 0, "total": 0, "missing": []})
        if row.source == "exempt":
            continue
        entry["total"] += 1
        if row.covered:
            entry["covered"] += 1
        else:
            entry["missing"].append(row)
    return report


def registration_gaps(numbers) -> list[tuple[object, str]]:
    """(number, why) for each number whose winning-carrier E911 registration is not
    active. `numbers` is an iterable of PhoneNumber."""
    numbers = list(numbers)
    registrations = {
        r.number_id: r for r in Registration.objects.filter(number__in=[n.pk for n in numbers])
    }
    gaps = []
    for number in numbers:
        registration = registrations.get(number.pk)
        if registration is None:
            gaps.append((number, "not registered at the winning carrier"))
        elif registration.status != Registration.Status.ACTIVE:
            why = registration.get_status_display().lower()
            detail = f": {registration.message}" if registration.message else ""
            gaps.append((number, f"registration {why}{detail}"))
    return gaps


def port_day_e911_refusal(order) -> str | None:
    """Why this port order may not reach port day for E911 reasons, or None: every number
    needs an active registration, and every endpoint behind its numbers a location."""
    numbers = list(order.numbers.select_related("endpoint"))
    problems = [f"{n.display}: {why}" for n, why in registration_gaps(numbers)]
    endpoint_ids = {n.endpoint_id for n in numbers if n.endpoint_id}
    if endpoint_ids:
        report = coverage(order.migration)
        for row in report.rows:
            if row.endpoint.pk in endpoint_ids and not row.covered:
                problems.append(f"{row.endpoint}: {row.problem}")
    if not problems:
        return None
    more = f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""
    shown = "; ".join(p.rstrip(".") for p in problems[:4]) + more
    return f"E911 is not ready for these numbers ({len(problems)}): {shown}."
