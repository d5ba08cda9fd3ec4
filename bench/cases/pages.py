"""Case 3: the pages a PM lives on, for a migration of 50 seats and one of 5,000: the
SQL query count must not change with the size, and the server time may grow at most
3× for 100× the data (lists are paginated; the dashboard counts in SQL)."""

from __future__ import annotations

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..core import Result, median_seconds, seconds

TARGET = 3.0


def pages(migration) -> dict[str, tuple[str, dict]]:
    """name → (URL, extra request headers)."""
    slug, key = migration.organization.slug, migration.uuid
    detail = reverse("migration-detail", args=[slug, key])
    return {
        "migration page": (detail, {}),
        "cutover dashboard (htmx panel)": (f"{detail}?panel=cutover", {"HTTP_HX_REQUEST": "true"}),
        "endpoint list": (reverse("endpoint-list", args=[slug, key]), {}),
    }


@override_settings(DASHBOARD_CACHE_SECONDS=0)  # the computation, not the panel's cache
def measure(migration, owner, repeats: int) -> dict[str, tuple[int, float]]:
    """name → (queries, median server seconds) for each page, as the owner."""
    client = Client()
    client.force_login(owner)
    out = {}
    for name, (url, headers) in pages(migration).items():

        def get(url=url, headers=headers):
            response = client.get(url, **headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        get()  # warm: templates compiled, sessions cached
        with CaptureQueriesContext(connection) as queries:
            get()
        out[name] = (len(queries), median_seconds(get, repeats))
    return out


def run(scale, fixtures) -> list[Result]:
    small, small_owner = fixtures.migration(scale.pages_small)
    large, large_owner = fixtures.migration(scale.pages_large)
    at_small = measure(small, small_owner, scale.page_repeats)
    at_large = measure(large, large_owner, scale.page_repeats)
    results = []
    for name in at_small:
        (q_small, t_small), (q_large, t_large) = at_small[name], at_large[name]
        ratio = t_large / t_small
        results.append(
            Result(
                case=f"{name}, {scale.pages_small:,} → {scale.pages_large:,} endpoints",
                figure=f"{seconds(t_large)}, {q_large} queries at {scale.pages_large:,}",
                baseline=f"{seconds(t_small)}, {q_small} queries at {scale.pages_small:,}",
                ratio=ratio,
                target=f"equal queries, ≤ {TARGET:g}× time",
                passed=q_small == q_large and ratio <= TARGET,
                details=[]
                if q_small == q_large
                else [
                    f"{name}: {q_small} queries at {scale.pages_small}, {q_large} at "
                    f"{scale.pages_large}"
                ],
                numbers={
                    "queries_small": q_small,
                    "queries_large": q_large,
                    "seconds_small": t_small,
                    "seconds_large": t_large,
                },
            )
        )
    return results
