"""Network readiness per site: the bandwidth calculator (property tests), the thresholds,
the readiness CSV import (all or nothing), sign-offs, `network_items` and the page."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from cutover.models import NetworkAssessment
from cutover.network.selectors import (
    CODEC_KBPS,
    bandwidth,
    blocking_problems,
    check_thresholds,
    network_items,
    percentile,
)
from cutover.network.services import import_readiness_csv, save_assessment, sign_off
from tenancy.checks import Item
from tenancy.rules import TransitionRefused

from . import factories as f
from .clock import clock_frozen_at
from .conftest import login

# The measurements below are from March 2026: the tests start on Feb 23, 2026.
frozen_clock = clock_frozen_at(datetime(2026, 2, 23, 15, tzinfo=UTC))


CODECS = st.sampled_from(["g711", "g729", "opus"])
CALLS = st.integers(min_value=0, max_value=5_000)
UPSTREAM = st.integers(min_value=0, max_value=10_000_000)


# -- the calculator: properties ----------------------------------------------------------


@given(calls=CALLS, codec=CODECS, upstream=UPSTREAM)
def test_required_is_monotonic_in_calls(calls, codec, upstream):
    one, more = bandwidth(calls, codec, upstream), bandwidth(calls + 1, codec, upstream)
    assert more.required_kbps > one.required_kbps
    # A line that does not fit n calls does not fit n + 1.
    if not one.fits_upstream:
        assert not more.fits_upstream


@given(calls=CALLS, codec=CODECS, upstream=UPSTREAM)
def test_headroom_is_exactly_twenty_percent(calls, codec, upstream):
    bw = bandwidth(calls, codec, upstream)
    assert bw.voice_kbps == calls * CODEC_KBPS[codec]
    assert bw.headroom_kbps * 5 == bw.voice_kbps  # exact: Decimal, no float rounding
    assert bw.required_kbps == bw.voice_kbps + bw.headroom_kbps
    assert bw.required_kbps == Decimal(bw.voice_kbps) * Decimal("1.2")


@given(calls=st.integers(min_value=1, max_value=5_000), upstream=UPSTREAM)
def test_g729_needs_less_than_opus_less_than_g711(calls, upstream):
    g711 = bandwidth(calls, "g711", upstream).required_kbps
    opus = bandwidth(calls, "opus", upstream).required_kbps
    g729 = bandwidth(calls, "g729", upstream).required_kbps
    assert g729 < opus < g711


@given(calls=st.integers(min_value=1, max_value=5_000), codec=CODECS)
def test_verdict_flips_exactly_at_the_boundary(calls, codec):
    required = bandwidth(calls, codec, 0).required_kbps
    boundary = int(required.to_integral_value(rounding="ROUND_CEILING"))
    at = bandwidth(calls, codec, boundary, reservation_percent=100)
    below = bandwidth(calls, codec, boundary - 1, reservation_percent=100)
    assert at.fits_upstream and at.ok
    assert not below.fits_upstream and not below.ok
    assert any("exceeds the measured upstream" in r for r in below.reasons)


@given(calls=CALLS, codec=CODECS, upstream=UPSTREAM,
       reservation=st.integers(min_value=0, max_value=100))  # fmt: skip
def test_reservation_below_thirty_percent_never_passes(calls, codec, upstream, reservation):
    bw = bandwidth(calls, codec, upstream, reservation_percent=reservation)
    if reservation < 30:
        assert not bw.ok and not bw.reservation_ok
    if bw.ok:
        # Under the worst case (a backup fills the rest), the reservation holds the voice.
        assert bw.reserved_kbps >= bw.required_kbps
        assert bw.fits_upstream


@given(calls=CALLS, codec=CODECS, upstream=UPSTREAM)
def test_more_upstream_never_hurts(calls, codec, upstream):
    small = bandwidth(calls, codec, upstream, reservation_percent=40)
    big = bandwidth(calls, codec, upstream + 1000, reservation_percent=40)
    assert big.ok or not small.ok


def test_unmeasured_upstream_does_not_fit():
    bw = bandwidth(4, "g711", None, reservation_percent=50)
    assert not bw.ok and not bw.fits_upstream
    assert "The upstream is not measured." in bw.reasons


def test_unknown_codec_and_negative_calls_are_refused():
    with pytest.raises(ValueError):
        bandwidth(1, "amr", 1000)
    with pytest.raises(ValueError):
        bandwidth(-1, "g711", 1000)


# -- a typical failure: a clinic's 50/10 Mbps line, 12 calls plus backups ---------------


def test_clinic_fifty_ten_line_twelve_calls_plus_backups():
    """Riverside Pediatrics: 50/10 Mbps cable, 12 simultaneous G.711 calls at morning
    intake while EHR backups ran on the same upstream."""
    upstream = 10_000  # the "10" of 50/10 Mbps
    # What a vendor calculator says: 12 x 100 + 20% = 1,440 kbps, far below 10,000.
    naive = bandwidth(12, "g711", upstream, reservation_percent=0, other_traffic_kbps=0)
    assert naive.voice_kbps == 1200 and naive.headroom_kbps == 240
    assert naive.required_kbps == 1440
    assert naive.fits_upstream  # the raw arithmetic passes...
    assert not naive.ok  # ...but nothing is reserved for voice: flagged anyway
    assert any("reserved for voice" in r for r in naive.reasons)

    # Plus backups: the backup fills what it can (9,500 of the 10,000 kbps).
    backups = bandwidth(12, "g711", upstream, reservation_percent=0, other_traffic_kbps=9_500)
    assert not backups.ok
    assert backups.available_kbps == 500
    assert any("keeps 500 kbps" in r for r in backups.reasons)

    # Default (the model has no field for other traffic): the worst case, the backup
    # takes everything not reserved. The stored assessment fails the same way.
    worst = bandwidth(12, "g711", upstream)
    assert not worst.ok and worst.available_kbps == 0

    # The fix: a QoS queue reserving 30% of the upstream (3,000 kbps) holds the 1,440.
    fixed = bandwidth(12, "g711", upstream, reservation_percent=30, other_traffic_kbps=9_500)
    assert fixed.ok and fixed.reserved_kbps == 3000 and fixed.available_kbps == 3000


@pytest.mark.django_db
def test_clinic_case_is_flagged_by_the_items(pm_a, world_a):
    site = world_a["site"]
    save_assessment(site, by=pm_a, peak_concurrent_calls=12, codec="g711",
                            upstream_kbps=10_000, downstream_kbps=50_000,
                            voice_reservation_percent=0)  # fmt: skip
    items = {i.code: i for i in network_items(site)}
    assert items["net_bandwidth"].ok  # 1,440 kbps fits the 10,000 kbps line
    assert not items["net_voice_reservation"].ok
    assert "backup" in items["net_voice_reservation"].detail


# -- thresholds and percentiles ----------------------------------------------------------


def test_thresholds_are_strict_and_unmeasured_fails():
    ok = {t.code: t.ok for t in check_thresholds(Decimal("29.99"), Decimal("0.999"), 149)}
    assert ok == {"net_jitter": True, "net_loss": True, "net_latency": True}
    at = {t.code: t.ok for t in check_thresholds(30, 1, 150)}
    assert at == {"net_jitter": False, "net_loss": False, "net_latency": False}
    missing = check_thresholds(None, None, None)
    assert all(not t.ok and t.detail == "Not measured." for t in missing)


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=300))
def test_percentile_is_a_measured_value_between_min_and_max(values):
    p = percentile(values)
    assert p in values
    assert min(values) <= p <= max(values)
    assert sum(v <= p for v in values) >= 0.95 * len(values)


def test_percentile_nearest_rank():
    assert percentile(list(range(1, 101))) == 95
    assert percentile([5]) == 5
    assert percentile(list(range(1, 21)), 5) == 1


# -- services ----------------------------------------------------------------------------


def _csv(rows, header="timestamp,jitter_ms,loss_percent,latency_ms,upstream_kbps"):
    return ("\n".join([header, *rows]) + "\n").encode()


def _week(jitter="8.5", loss="0.1", latency="40", upstream="10000", days=7, every_hours=6):
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    rows = []
    steps = days * 24 // every_hours
    for i in range(steps + 1):
        at = start + timedelta(hours=every_hours * i)
        rows.append(f"{at.isoformat()},{jitter},{loss},{latency},{upstream}")
    return rows


@pytest.mark.django_db
def test_import_summarizes_by_95th_percentile(pm_a, world_a):
    site = world_a["site"]
    rows = _week()
    rows[3] = rows[3].replace(",8.5,", ",80,")  # one spike: the 95th percentile ignores it
    rows[4] = rows[4].replace(",10000", ",2000")  # one dip in the upstream
    report = import_readiness_csv(site, _csv(rows), by=pm_a)
    assert report.ok and report.committed, [e.as_line() for e in report.errors]
    a = NetworkAssessment.objects.get(site=site)
    assert a.test_days == 7
    assert a.jitter_ms == Decimal("8.50")
    assert a.upstream_kbps == 10000
    assert report.summary.worst["jitter_ms"] == 80
    assert report.summary.worst["upstream_kbps"] == 2000
    assert a.history.first().history_change_reason.startswith("Readiness test imported")
    assert "29 samples over 7 days" in report.text()


@pytest.mark.django_db
def test_import_is_all_or_nothing_with_a_per_row_report(pm_a, world_a):
    site = world_a["site"]
    rows = _week()
    rows[1] = "yesterday,8,0.1,40,10000"
    rows[2] = rows[2].replace(",0.1,", ",101,")
    rows[5] = rows[5].replace(",10000", ",lots")
    report = import_readiness_csv(site, _csv(rows), by=pm_a)
    assert not report.ok and not report.committed
    lines = [e.as_line() for e in report.errors]
    assert any(line.startswith("row 3, column timestamp") for line in lines), lines
    assert any(line.startswith("row 4, column loss_percent") for line in lines), lines
    assert any(line.startswith("row 7, column upstream_kbps") for line in lines), lines
    assert not NetworkAssessment.objects.filter(site=site).exists()


@pytest.mark.django_db
def test_import_refuses_bad_headers_and_empty_files(pm_a, world_a):
    site = world_a["site"]
    bad = import_readiness_csv(site, b"time,jitter\n1,2\n", by=pm_a)
    assert not bad.ok
    assert {e.column for e in bad.errors} >= {"timestamp", "loss_percent", "time"}
    empty = import_readiness_csv(site, _csv([]), by=pm_a)
    assert not empty.ok and "only a header" in empty.errors[0].message
    assert not NetworkAssessment.objects.filter(site=site).exists()


@pytest.mark.django_db
def test_naive_timestamps_are_in_the_sites_zone_and_short_tests_fail(pm_a, world_a):
    site = world_a["site"]  # America/Chicago
    rows = ["2026-03-02 09:00,5,0,30,9000", "2026-03-05 09:00,5,0,30,9000"]
    report = import_readiness_csv(site, _csv(rows), by=pm_a)
    assert report.ok
    assert report.summary.first.utcoffset() == timedelta(hours=-6)
    items = {i.code: i for i in network_items(site)}
    assert not items["net_test_days"].ok and "3 days" in items["net_test_days"].detail


def _ready(site, user):
    save_assessment(
        site, by=user, peak_concurrent_calls=8, codec="g711", upstream_kbps=20_000,
        jitter_ms=Decimal(12), loss_percent=Decimal("0.2"), latency_ms=Decimal(60),
        test_days=7, dscp_voice_ef=True, dscp_signaling_cs3=True,
        voice_reservation_percent=30, poe_confirmed=True,
    )  # fmt: skip


@pytest.mark.django_db
def test_sign_off_needs_a_passing_report_and_changes_clear_it(pm_a, world_a):
    site = world_a["site"]
    save_assessment(site, by=pm_a, peak_concurrent_calls=8, upstream_kbps=20_000)
    with pytest.raises(ValidationError, match="Not ready to sign"):
        sign_off(site, by=pm_a, role="it_lead", name="Dana IT")
    _ready(site, pm_a)
    at = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    sign_off(site, by=pm_a, role="it_lead", name="Dana IT", signed_at=at)
    sign_off(site, by=pm_a, role="vendor", name="Victor Vendor")
    items = network_items(site)
    assert all(isinstance(i, Item) for i in items)
    assert not blocking_problems(items)
    by_code = {i.code: i for i in items}
    assert by_code["net_signoff_it_lead"].who == "Dana IT"
    assert by_code["net_signoff_it_lead"].when == at
    assert "2026-03-10 15:00 UTC" in by_code["net_signoff_it_lead"].evidence
    # New figures: the signatures vouched for the old ones.
    save_assessment(site, by=pm_a, peak_concurrent_calls=40)
    a = NetworkAssessment.objects.get(site=site)
    assert a.it_lead_signed_at is None and a.vendor_signed_by == ""
    assert "sign-offs cleared" in a.history.first().history_change_reason


@pytest.mark.django_db
def test_items_cover_every_rule(pm_a, world_a):
    items = network_items(world_a["site"])
    codes = [i.code for i in items]
    assert codes == [
        "net_bandwidth", "net_voice_reservation", "net_jitter", "net_loss", "net_latency",
        "net_test_days", "net_qos", "net_poe", "net_signoff_it_lead", "net_signoff_vendor",
    ]  # fmt: skip
    assert all(i.blocking and not i.ok for i in items)  # nothing entered yet


@pytest.mark.django_db
def test_poe_not_required_without_desk_phones(pm_a, world_a):
    site = f.SiteFactory(migration=world_a["migration"], name="Remote hub")
    f.EndpointFactory(site=site, kind="softphone")
    poe = {i.code: i for i in network_items(site)}["net_poe"]
    assert poe.ok and not poe.required


@pytest.mark.django_db
def test_services_refuse_read_only_roles(viewer_a, tech_a, world_a):
    for user in (viewer_a, tech_a):
        with pytest.raises(TransitionRefused):
            save_assessment(world_a["site"], by=user, peak_concurrent_calls=3)


@pytest.mark.django_db
def test_reservation_over_100_is_refused(pm_a, world_a):
    with pytest.raises(ValidationError):
        save_assessment(world_a["site"], by=pm_a, voice_reservation_percent=130)


# -- the page ----------------------------------------------------------------------------


def _url(org, site, action=""):
    name = "site-network" + (f"-{action}" if action else "")
    return reverse(name, args=[org.slug, site.pk])


@pytest.mark.django_db
def test_page_shows_the_calculator_and_items(client, pm_a, world_a, org_a):
    site = world_a["site"]
    save_assessment(site, by=pm_a, peak_concurrent_calls=12, codec="g711",
                            upstream_kbps=10_000)  # fmt: skip
    login(client, pm_a)
    response = client.get(_url(org_a, site))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1440 kbps" in body and "does not fit" in body
    assert 'data-testid="item-net_voice_reservation"' in body
    assert "Import a readiness test" in body


@pytest.mark.django_db
def test_page_posts_save_import_and_sign_off(client, pm_a, world_a, org_a):
    site = world_a["site"]
    login(client, pm_a)
    response = client.post(_url(org_a, site, "save"), {
        "peak_concurrent_calls": 8, "codec": "g711", "upstream_kbps": 20000,
        "voice_reservation_percent": 30, "dscp_voice_ef": "on", "dscp_signaling_cs3": "on",
        "poe_confirmed": "on", "test_days": 0,
    })  # fmt: skip
    assert response.status_code == 302
    a = NetworkAssessment.objects.get(site=site)
    assert a.peak_concurrent_calls == 8 and a.dscp_voice_ef and a.poe_confirmed
    upload = SimpleUploadedFile("test.csv", _csv(_week()), content_type="text/csv")
    response = client.post(_url(org_a, site, "import"), {"file": upload}, follow=True)
    assert "Imported 29 samples over 7 days" in response.content.decode()
    a.refresh_from_db()
    assert a.test_days == 7 and a.jitter_ms == Decimal("8.5")
    response = client.post(_url(org_a, site, "sign-off"),
                           {"role": "vendor", "name": "Victor Vendor"}, follow=True)  # fmt: skip
    assert "Vendor sign-off recorded" in response.content.decode()
    a.refresh_from_db()
    assert a.vendor_signed_by == "Victor Vendor" and a.vendor_signed_at


@pytest.mark.django_db
def test_page_import_errors_are_listed_and_nothing_saved(client, pm_a, world_a, org_a):
    site = world_a["site"]
    login(client, pm_a)
    rows = _week()
    rows[2] = rows[2].replace(",40,", ",-5,")
    upload = SimpleUploadedFile("test.csv", _csv(rows), content_type="text/csv")
    response = client.post(_url(org_a, site, "import"), {"file": upload}, follow=True)
    body = response.content.decode()
    assert "row 4, column latency_ms" in body and "Nothing was imported" in body
    assert not NetworkAssessment.objects.filter(site=site).exists()


@pytest.mark.django_db
def test_viewer_gets_403_on_every_post(client, viewer_a, world_a, org_a):
    login(client, viewer_a)
    site = world_a["site"]
    assert client.get(_url(org_a, site)).status_code == 200
    for action in ("save", "import", "sign-off"):
        assert client.post(_url(org_a, site, action), {"name": "x"}).status_code == 403
    assert not NetworkAssessment.objects.filter(site=site).exists()


@pytest.mark.django_db
def test_other_org_gets_404(client, pm_b, world_a, world_b, org_a, org_b):
    login(client, pm_b)
    site = world_a["site"]
    assert client.get(reverse("site-network", args=[org_b.slug, site.pk])).status_code == 404
    assert client.post(reverse("site-network-save", args=[org_b.slug, site.pk]),
                       {"peak_concurrent_calls": 3}).status_code == 404  # fmt: skip


@pytest.mark.django_db
def test_page_query_count_is_constant(client, pm_a, world_a, org_a):
    site = world_a["site"]
    login(client, pm_a)
    url = _url(org_a, site)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _ready(site, pm_a)
    before = count()
    for _ in range(30):
        f.EndpointFactory(site=site)
    assert count() == before
    assert before <= 15
