"""Per-endpoint pre-flight checklists: the rollup, three calls from different lines, the
sign-off, the technician's form, the summary for go/no-go, and the checklist PDF job (one
WeasyPrint pass, a QR code per page, never the SIP password)."""

import shutil
import subprocess
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from cutover import preflight as pf
from cutover.models import ChecklistJob, Preflight
from cutover.tasks_preflight import render_checklists
from documents import render as pdf_render
from e911.services import create_location
from esign.services import portal_base_url

from . import factories as f
from .browser import ARTIFACTS
from .conftest import login

SIP_PASSWORD = "s3cret-SIP-pass"  # the factories' SIP password
LINES = ["+13035550101", "+13035550102", "+13035550103"]
ALL_PASS = {code: {"ok": True, "note": ""} for code in pf.CHECK_CODES}


def _calls(lines, result="pass"):
    return [{"line": line, "result": result} for line in lines]


# --- the rollup -----------------------------------------------------------------------


def test_rollup_not_started_in_progress_passed():
    assert pf.rollup({}, [], False) == Preflight.Status.NOT_STARTED
    assert pf.rollup({"mac": {"ok": True}}, [], False) == Preflight.Status.IN_PROGRESS
    assert pf.rollup(ALL_PASS, _calls(LINES), False) == Preflight.Status.IN_PROGRESS  # unsigned
    assert pf.rollup(ALL_PASS, _calls(LINES), True) == Preflight.Status.PASSED


def test_rollup_failed_when_any_check_or_call_failed():
    failed_check = {**ALL_PASS, "poe": {"ok": False, "note": "no PoE on port 12"}}
    assert pf.rollup(failed_check, _calls(LINES), True) == Preflight.Status.FAILED
    calls = _calls(LINES[:2]) + _calls(LINES[2:], result="fail")
    assert pf.rollup(ALL_PASS, calls, True) == Preflight.Status.FAILED
    # A failed check fails the checklist even before anything else is recorded.
    assert pf.rollup({"registration": {"ok": False}}, [], False) == Preflight.Status.FAILED


def test_rollup_needs_every_check():
    missing_one = {code: v for code, v in ALL_PASS.items() if code != "voicemail"}
    assert pf.rollup(missing_one, _calls(LINES), True) == Preflight.Status.IN_PROGRESS


def test_three_passing_calls_must_come_from_three_different_lines():
    same_line = _calls([LINES[0]] * 3)
    assert pf.passing_lines(same_line) == {LINES[0]}
    assert pf.rollup(ALL_PASS, same_line, True) == Preflight.Status.IN_PROGRESS
    assert "1 different outside line(s) among 3 passing calls" in pf.call_problem(same_line)
    two_lines = _calls([LINES[0], LINES[1], LINES[0]])
    assert pf.rollup(ALL_PASS, two_lines, True) == Preflight.Status.IN_PROGRESS
    assert pf.call_problem(_calls(LINES)) == ""
    assert pf.rollup(ALL_PASS, _calls(LINES), True) == Preflight.Status.PASSED


# --- recording and signing ------------------------------------------------------------


@pytest.mark.django_db
def test_sign_off_refused_until_everything_is_recorded(world_a, tech_a):
    endpoint = world_a["endpoint"]
    with pytest.raises(Exception, match="Record every check"):
        pf.record_preflight(endpoint, by=tech_a, checks={}, test_calls=[], sign=True)
    with pytest.raises(Exception, match="3 test calls"):
        pf.record_preflight(
            endpoint, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES[:2]), sign=True
        )
    assert not Preflight.objects.filter(endpoint=endpoint, signed_at__isnull=False).exists()


@pytest.mark.django_db
def test_changing_a_result_after_sign_off_withdraws_the_signature(world_a, tech_a):
    endpoint = world_a["endpoint"]
    done = pf.record_preflight(
        endpoint, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES), sign=True
    )
    assert done.status == Preflight.Status.PASSED and done.signed_by == tech_a
    changed = pf.record_preflight(
        endpoint, by=tech_a, checks={**ALL_PASS, "voicemail": {"ok": False, "note": "no MWI"}},
        test_calls=_calls(LINES), sign=False,
    )  # fmt: skip
    assert changed.status == Preflight.Status.FAILED
    assert changed.signed_at is None and changed.signed_by is None
    assert changed.history.count() == 2


def _form_data(lines=LINES, sign=True, **overrides):
    data = {f"check_{code}": "pass" for code in pf.CHECK_CODES}
    data["note_poe"] = "Port 12 on the closet switch"
    for i, line in enumerate(lines, start=1):
        data[f"call{i}_line"] = line
        data[f"call{i}_result"] = "pass"
    if sign:
        data["sign"] = "on"
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_technician_records_checks_calls_and_signs(client, world_a, tech_a, org_a):
    endpoint = world_a["endpoint"]
    url = reverse("endpoint-preflight", args=[org_a.slug, endpoint.pk])
    login(client, tech_a)
    page = client.get(url)
    assert page.status_code == 200
    assert SIP_PASSWORD not in page.content.decode()
    assert "(214) 555-0100" in page.content.decode()  # the endpoint's DID

    data = _form_data(lines=["(303) 555-0101", "303.555.0102", "+1 303 555 0103"])
    response = client.post(url, data)
    assert response.status_code == 302
    preflight = Preflight.objects.get(endpoint=endpoint)
    assert preflight.status == Preflight.Status.PASSED
    assert preflight.signed_by == tech_a and preflight.signed_at is not None
    assert [c["line"] for c in preflight.test_calls] == LINES  # normalized to E.164
    assert preflight.checks["poe"] == {"ok": True, "note": "Port 12 on the closet switch"}
    assert "Passed" in client.get(url).content.decode()


@pytest.mark.django_db
def test_three_calls_from_the_same_line_do_not_pass(client, world_a, tech_a, org_a):
    endpoint = world_a["endpoint"]
    url = reverse("endpoint-preflight", args=[org_a.slug, endpoint.pk])
    login(client, tech_a)
    client.post(url, _form_data(lines=[LINES[0]] * 3))
    preflight = Preflight.objects.get(endpoint=endpoint)
    assert preflight.status == Preflight.Status.IN_PROGRESS
    assert "different outside lines are needed" in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_result_without_a_line_is_refused(client, world_a, tech_a, org_a):
    url = reverse("endpoint-preflight", args=[org_a.slug, world_a["endpoint"].pk])
    login(client, tech_a)
    response = client.post(url, _form_data(call1_line=""))
    assert response.status_code == 400
    assert "Which outside line called?" in response.content.decode()
    assert not Preflight.objects.exists()


@pytest.mark.django_db
def test_viewer_reads_but_gets_403_on_writes(client, world_a, viewer_a, org_a):
    login(client, viewer_a)
    url = reverse("endpoint-preflight", args=[org_a.slug, world_a["endpoint"].pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _form_data()).status_code == 403
    print_url = reverse("migration-preflight", args=[org_a.slug, world_a["migration"].uuid])
    assert client.get(print_url).status_code == 200
    assert client.post(print_url, {}).status_code == 403
    assert not Preflight.objects.exists()
    assert ChecklistJob.objects.count() == 1  # the world's own job only


# --- summary and query counts ----------------------------------------------------------


@pytest.mark.django_db
def test_summary_counts_by_status_and_lists_not_passed(world_a, tech_a):
    migration, site = world_a["migration"], world_a["site"]
    passed = world_a["endpoint"]
    failed = f.EndpointFactory(site=site)
    untouched = f.EndpointFactory(site=site)
    pf.record_preflight(passed, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES), sign=True)
    pf.record_preflight(
        failed, by=tech_a, checks={"poe": {"ok": False, "note": ""}}, test_calls=[], sign=False
    )
    with CaptureQueriesContext(connection) as queries:
        summary = pf.preflight_summary(migration)
    assert len(queries) == 2  # the counts (by the database), then the endpoints not passed
    assert summary.counts == {"not_started": 1, "in_progress": 0, "passed": 1, "failed": 1}
    assert {e.pk for e in summary.not_passed} == {failed.pk, untouched.pk}
    assert summary.not_passed_count == 2
    assert not summary.all_passed
    # The dashboard wants the counts only; go/no-go names the first few.
    with CaptureQueriesContext(connection) as queries:
        counts_only = pf.preflight_summary(migration, limit=0)
    assert len(queries) == 1
    assert (counts_only.not_passed, counts_only.not_passed_count) == ([], 2)
    assert len(pf.preflight_summary(migration, limit=1).not_passed) == 1


@pytest.mark.django_db
def test_summary_page_queries_do_not_grow_with_endpoints(client, world_a, pm_a, org_a, tech_a):
    migration, site = world_a["migration"], world_a["site"]
    url = reverse("migration-preflight", args=[org_a.slug, migration.uuid])
    login(client, pm_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for _ in range(4):
        endpoint = f.EndpointFactory(site=site)
        pf.record_preflight(endpoint, by=tech_a, checks={"mac": {"ok": True}}, test_calls=[],
                            sign=False)  # fmt: skip
    ChecklistJob.objects.create(migration=migration, site=site, requested_by=pm_a)
    assert count() == before


@pytest.mark.django_db
def test_form_page_queries_do_not_grow_with_numbers_or_results(client, world_a, tech_a, org_a):
    endpoint, migration = world_a["endpoint"], world_a["migration"]
    url = reverse("endpoint-preflight", args=[org_a.slug, endpoint.pk])
    login(client, tech_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.post(url, _form_data(sign=False))
    before = count()
    for number in ("+12145550111", "+12145550112", "+12145550113"):
        f.PhoneNumberFactory(migration=migration, number=number, endpoint=endpoint)
    for _ in range(3):
        f.EndpointFactory(site=world_a["site"])
    client.post(url, _form_data(sign=True))
    assert count() == before


# --- the PDF job ------------------------------------------------------------------------


def _pdftotext(data: bytes, tmp_path, *flags) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is required (apt-get install poppler-utils)")
    path = tmp_path / "checklists.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", *(flags or ["-layout"]), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def three_endpoints(world_a, pm_a):
    site = world_a["site"]
    create_location(
        migration=world_a["migration"], by=pm_a, site=site, label="Reception",
        is_site_default=True, address_line1="123 Main Street", city="Dallas", state="TX",
        postal_code="75201", floor="2",
    )  # fmt: skip
    others = [
        f.EndpointFactory(site=site, extension="102", display_name="Dana Diaz"),
        f.EndpointFactory(site=site, extension="103", display_name="Eli Evans"),
    ]
    return [world_a["endpoint"], *others]


@pytest.mark.django_db
def test_job_renders_all_endpoints_in_one_pass_and_never_the_sip_password(
    world_a, three_endpoints, pm_a, tmp_path
):
    job = ChecklistJob.objects.create(migration=world_a["migration"], requested_by=pm_a)
    base = "https://voip.example.com/"
    with mock.patch.object(pdf_render, "render_pdf", wraps=pdf_render.render_pdf) as spy:
        assert render_checklists(job.pk, base) == "done"
    assert spy.call_count == 1  # one WeasyPrint pass for all three pages
    html = spy.call_args.args[0]
    # The time limit grows with the pages: 500 endpoints must not die at the 30 s limit.
    assert spy.call_args.kwargs["timeout_seconds"] == pytest.approx(
        settings.PDF_RENDER_TIMEOUT_SECONDS + 3 * pf.SECONDS_PER_PAGE
    )
    assert html.count('<section class="document"') == 3

    job.refresh_from_db()
    assert job.status == ChecklistJob.Status.DONE
    assert (job.total, job.done) == (3, 3)
    assert job.finished_at is not None and "3 checklist(s)" in job.message
    data = job.pdf.read()
    assert data.startswith(b"%PDF")
    text = _pdftotext(data, tmp_path)
    assert text.count("\f") >= 3 and len([p for p in text.split("\f") if p.strip()]) == 3
    assert SIP_PASSWORD not in text and SIP_PASSWORD not in html
    for endpoint in three_endpoints:
        assert endpoint.mac_address in text
        assert endpoint.sip_username not in text
    assert "(214) 555-0100" in text  # the DID
    assert "123 MAIN ST" in text.upper()  # the E911 location from e911.selectors.coverage
    assert "Technician signature" in text and "Line called from" in text


@pytest.mark.django_db
def test_each_page_has_a_qr_code_for_its_checklist_form(world_a, three_endpoints, pm_a, tmp_path):
    job = ChecklistJob.objects.create(
        migration=world_a["migration"], site=world_a["site"], requested_by=pm_a
    )
    base = portal_base_url(None)
    with mock.patch.object(pdf_render, "render_pdf", wraps=pdf_render.render_pdf) as spy:
        render_checklists(job.pk, base)
    html = spy.call_args.args[0]
    job.refresh_from_db()
    data = job.pdf.read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "preflight-checklists.pdf").write_bytes(data)  # to look at (pdftoppm)
    text = _pdftotext(data, tmp_path, "-raw")
    for endpoint in three_endpoints:
        url = base.rstrip("/") + reverse("endpoint-preflight", args=["northwind", endpoint.pk])
        match = resolve(urlsplit(url).path)
        assert match.url_name == "endpoint-preflight" and match.kwargs["pk"] == endpoint.pk
        qr = pf.qr_data_uri(url)
        assert qr.startswith("data:image/svg+xml")
        assert f'src="{qr}"' in html.replace("&amp;", "&")  # embedded as a data: URI
        assert url in text.replace("\n", "")  # printed under the code
    # The QR payload is the form URL (segno's encoding of exactly that text).
    svg = unquote(pf.qr_data_uri("https://a.example/x").split(",", 1)[1])
    assert svg.startswith("<?xml") or "<svg" in svg


@pytest.mark.django_db
def test_failed_render_marks_the_job_failed(world_a, pm_a):
    job = ChecklistJob.objects.create(migration=world_a["migration"], requested_by=pm_a)
    boom = pdf_render.RenderTimeout("too slow", timeout_seconds=1, pid=1)
    with mock.patch.object(pdf_render, "render_pdf", side_effect=boom):
        assert render_checklists(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ChecklistJob.Status.FAILED and "too slow" in job.message
    assert not job.pdf


@pytest.mark.django_db
def test_print_page_starts_a_job_on_commit_and_shows_progress_then_download(
    client, world_a, pm_a, org_a, django_capture_on_commit_callbacks
):
    migration, site = world_a["migration"], world_a["site"]
    login(client, pm_a)
    url = reverse("migration-preflight", args=[org_a.slug, migration.uuid])
    with (
        mock.patch("cutover.tasks_preflight.render_checklists.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(url, {"site": site.pk})
    assert len(callbacks) == 1
    job = ChecklistJob.objects.exclude(pk=world_a["checklist_job"].pk).get()
    assert job.site == site and job.requested_by == pm_a
    delay.assert_called_once_with(job.pk, "http://testserver/")
    job_url = reverse("checklist-job", args=[org_a.slug, job.pk])
    assert response["Location"] == job_url

    page = client.get(job_url).content.decode()
    status_url = reverse("checklist-job-status", args=[org_a.slug, job.pk])
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    pdf_url = reverse("checklist-job-pdf", args=[org_a.slug, job.pk])
    assert client.get(pdf_url).status_code == 404  # not ready yet

    render_checklists(job.pk, "http://testserver/")
    partial = client.get(status_url).content.decode()
    assert "hx-trigger" not in partial  # polling stops
    assert pdf_url in partial
    download = client.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_download_is_404_for_another_organization(client, world_a, world_b, pm_b, org_b, pm_a):
    job = world_a["checklist_job"]
    render_checklists(job.pk)
    job.refresh_from_db()
    assert job.status == ChecklistJob.Status.DONE
    login(client, pm_b)
    for name in ("checklist-job-pdf", "checklist-job", "checklist-job-status"):
        assert client.get(reverse(name, args=[org_b.slug, job.pk])).status_code == 404
        assert client.get(reverse(name, args=["northwind", job.pk])).status_code == 404
