"""Per-endpoint pre-flight checklists: the rollup, three calls from different lines, the
sign-off, the technician's form, the summary for go/no-go, and the checklist PDF job (one
document on a fixed form, a QR code per page, never the SIP password)."""

import io
import re
import shutil
import subprocess
from html import unescape
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from cutover.models import ChecklistJob, Preflight
from cutover.preflight.checklists import (
    HTML_BYTES_PER_PAGE,
    SECONDS_PER_PAGE,
    _no_database,
    checklist_endpoints,
    checklist_max_html_bytes,
    checklist_pages,
    checklist_pdf,
    qr_data_uri,
)
from cutover.preflight.selectors import (
    CHECK_CODES,
    call_problem,
    passing_lines,
    preflight_summary,
    rollup,
)
from cutover.preflight.services import record_preflight
from cutover.preflight.tasks import render_checklists
from documents import render as pdf_render
from e911.locations.services import create_location
from tenancy.portal import portal_base_url

from . import factories as f
from .browser import ARTIFACTS
from .conftest import login

SIP_PASSWORD = "s3cret-SIP-pass"  # the factories' SIP password
LINES = ["+13035550101", "+13035550102", "+13035550103"]
ALL_PASS = {code: {"ok": True, "note": ""} for code in CHECK_CODES}


def _calls(lines, result="pass"):
    return [{"line": line, "result": result} for line in lines]


# --- the rollup -----------------------------------------------------------------------


def test_rollup_not_started_in_progress_passed():
    assert rollup({}, [], False) == Preflight.Status.NOT_STARTED
    assert rollup({"mac": {"ok": True}}, [], False) == Preflight.Status.IN_PROGRESS
    assert rollup(ALL_PASS, _calls(LINES), False) == Preflight.Status.IN_PROGRESS  # unsigned
    assert rollup(ALL_PASS, _calls(LINES), True) == Preflight.Status.PASSED


def test_rollup_failed_when_any_check_or_call_failed():
    failed_check = {**ALL_PASS, "poe": {"ok": False, "note": "no PoE on port 12"}}
    assert rollup(failed_check, _calls(LINES), True) == Preflight.Status.FAILED
    calls = _calls(LINES[:2]) + _calls(LINES[2:], result="fail")
    assert rollup(ALL_PASS, calls, True) == Preflight.Status.FAILED
    # A failed check fails the checklist even before anything else is recorded.
    assert rollup({"registration": {"ok": False}}, [], False) == Preflight.Status.FAILED


def test_rollup_needs_every_check():
    missing_one = {code: v for code, v in ALL_PASS.items() if code != "voicemail"}
    assert rollup(missing_one, _calls(LINES), True) == Preflight.Status.IN_PROGRESS


def test_three_passing_calls_must_come_from_three_different_lines():
    same_line = _calls([LINES[0]] * 3)
    assert passing_lines(same_line) == {LINES[0]}
    assert rollup(ALL_PASS, same_line, True) == Preflight.Status.IN_PROGRESS
    assert "1 different outside line(s) among 3 passing calls" in call_problem(same_line)
    two_lines = _calls([LINES[0], LINES[1], LINES[0]])
    assert rollup(ALL_PASS, two_lines, True) == Preflight.Status.IN_PROGRESS
    assert call_problem(_calls(LINES)) == ""
    assert rollup(ALL_PASS, _calls(LINES), True) == Preflight.Status.PASSED


# --- recording and signing ------------------------------------------------------------


@pytest.mark.django_db
def test_sign_off_refused_until_everything_is_recorded(world_a, tech_a):
    endpoint = world_a["endpoint"]
    with pytest.raises(Exception, match="Record every check"):
        record_preflight(endpoint, by=tech_a, checks={}, test_calls=[], sign=True)
    with pytest.raises(Exception, match="3 test calls"):
        record_preflight(
            endpoint, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES[:2]), sign=True
        )
    assert not Preflight.objects.filter(endpoint=endpoint, signed_at__isnull=False).exists()


@pytest.mark.django_db
def test_changing_a_result_after_sign_off_withdraws_the_signature(world_a, tech_a):
    endpoint = world_a["endpoint"]
    done = record_preflight(
        endpoint, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES), sign=True
    )
    assert done.status == Preflight.Status.PASSED and done.signed_by == tech_a
    changed = record_preflight(
        endpoint, by=tech_a, checks={**ALL_PASS, "voicemail": {"ok": False, "note": "no MWI"}},
        test_calls=_calls(LINES), sign=False,
    )  # fmt: skip
    assert changed.status == Preflight.Status.FAILED
    assert changed.signed_at is None and changed.signed_by is None
    assert changed.history.count() == 2


def _form_data(lines=LINES, sign=True, **overrides):
    data = {f"check_{code}": "pass" for code in CHECK_CODES}
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
    record_preflight(passed, by=tech_a, checks=ALL_PASS, test_calls=_calls(LINES), sign=True)
    record_preflight(
        failed, by=tech_a, checks={"poe": {"ok": False, "note": ""}}, test_calls=[], sign=False
    )
    with CaptureQueriesContext(connection) as queries:
        summary = preflight_summary(migration)
    assert len(queries) == 2  # the counts (by the database), then the endpoints not passed
    assert summary.counts == {"not_started": 1, "in_progress": 0, "passed": 1, "failed": 1}
    assert {e.pk for e in summary.not_passed} == {failed.pk, untouched.pk}
    assert summary.not_passed_count == 2
    assert not summary.all_passed
    # The dashboard wants the counts only; go/no-go names the first few.
    with CaptureQueriesContext(connection) as queries:
        counts_only = preflight_summary(migration, limit=0)
    assert len(queries) == 1
    assert (counts_only.not_passed, counts_only.not_passed_count) == ([], 2)
    assert len(preflight_summary(migration, limit=1).not_passed) == 1


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
        record_preflight(endpoint, by=tech_a, checks={"mac": {"ok": True}}, test_calls=[],
                            sign=False)  # fmt: skip
    ChecklistJob.objects.create(migration=migration, site=site, requested_by=pm_a)
    assert count() == before


@pytest.mark.django_db
def test_summary_page_lists_the_endpoints_not_passed_50_a_page(client, world_a, pm_a, org_a):
    migration, site = world_a["migration"], world_a["site"]
    f.EndpointFactory.create_batch(54, site=site)  # with world_a's endpoint: 55 not passed
    url = reverse("migration-preflight", args=[org_a.slug, migration.uuid])
    login(client, pm_a)
    first = client.get(url)
    assert first.context["summary"].not_passed_count == 55
    assert len(first.context["not_passed"]) == 50
    assert "Page 1 of 2" in first.content.decode() and "page=2" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert len(second.context["not_passed"]) == 5
    listed = {e.pk for e in first.context["not_passed"]} | {
        e.pk for e in second.context["not_passed"]
    }
    assert len(listed) == 55
    assert all(e.preflight_status_display == "Not started" for e in second.context["not_passed"])
    assert len(client.get(url, {"page": 99}).context["not_passed"]) == 5  # the last page


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


def _pages_text(data: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext -layout), in page order."""
    return [page for page in _pdftotext(data, tmp_path).split("\f") if page.strip()]


def _qr_codes(data: bytes, tmp_path) -> list[list[str]]:
    """What the QR codes on each page say, read back from the printed pages (150 dpi)."""
    import zxingcpp
    from PIL import Image

    path = tmp_path / "qr.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "qr")],
                   check=True)  # fmt: skip
    return [
        [code.text for code in zxingcpp.read_barcodes(Image.open(png))]
        for png in sorted(tmp_path.glob("qr-*.png"))
    ]


def _form_url(base, endpoint):
    return base.rstrip("/") + reverse("endpoint-preflight", args=["northwind", endpoint.pk])


@pytest.mark.django_db
def test_job_renders_all_endpoints_as_one_document_on_the_fixed_form_and_never_the_sip_password(
    world_a, three_endpoints, pm_a, tmp_path
):
    job = ChecklistJob.objects.create(migration=world_a["migration"], requested_by=pm_a)
    base = "https://voip.example.com/"
    spy = mock.patch.object(pdf_render, "render_parallel", wraps=pdf_render.render_parallel)
    with spy as render:
        assert render_checklists(job.pk, base) == "done"
    assert render.call_count == 1  # one document for all three checklists
    # The time limit grows with the pages: 500 endpoints must not die at the 30 s limit.
    assert render.call_args.kwargs["timeout_seconds"] == pytest.approx(
        settings.PDF_RENDER_TIMEOUT_SECONDS + 3 * SECONDS_PER_PAGE
    )

    job.refresh_from_db()
    assert job.status == ChecklistJob.Status.DONE
    assert (job.total, job.done) == (3, 3)
    assert job.finished_at is not None and job.message == "3 checklist(s) for Acme phones."
    data = job.pdf.read()
    assert data.startswith(b"%PDF")
    pages = _pages_text(data, tmp_path)
    assert len(pages) == 3
    for number, (endpoint, text) in enumerate(zip(three_endpoints, pages, strict=True), 1):
        # Each page: the form's printed part (drawn from the one copy) and its own values.
        assert "Technician signature" in text and "Line called from" in text
        assert "MAC address" in text and "Firmware matches the target" in text
        assert endpoint.mac_address in text and endpoint.extension in text
        assert f"Checklist {number} of 3" in text and "Acme phones" in text
        assert endpoint.sip_username not in text and SIP_PASSWORD not in text
    assert "(214) 555-0100" in pages[0]  # the DID
    assert "123 MAIN ST" in pages[0].upper()  # the E911 location from e911.selectors.coverage


@pytest.mark.django_db
def test_the_form_is_stored_once_and_drawn_under_every_page(world_a, three_endpoints, pm_a):
    from pyhanko.pdf_utils.reader import PdfFileReader

    pages = checklist_pages(world_a["migration"], checklist_endpoints(world_a["migration"]),
                               "https://voip.example.com/")  # fmt: skip
    rendered = checklist_pdf(world_a["migration"], None, pages)
    assert rendered.pages == 3
    assert rendered.info == {
        "on_form": 3, "flowing": [], "flowing_pages": 0
    }  # fmt: skip
    reader = PdfFileReader(io.BytesIO(rendered.pdf))
    assert reader.root["/Pages"]["/Count"] == 3
    contents = [reader.root["/Pages"]["/Kids"][i]["/Contents"] for i in range(3)]
    # Each page: "draw the form" (the same stream on every page), then its values.
    assert all(len(c) == 2 for c in contents)
    assert len({c.raw_get(0).idnum for c in contents}) == 1
    assert contents[0][0].data.split() == [b"q", b"/FixedForm", b"Do", b"Q"]
    form = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/XObject"]["/FixedForm"]
    assert form["/Subtype"] == "/Form"
    # No named destinations: the slot ids are not links anyone follows.
    assert "/Dests" not in reader.root.get("/Names", {})
    # A bookmark per checklist, on its own page (the form's page is not in the tree).
    kids = reader.root["/Pages"]["/Kids"]
    bookmark, targets = reader.root["/Outlines"]["/First"], []
    while True:
        targets.append((str(bookmark["/Title"]), bookmark["/Dest"].raw_get(0).idnum))
        if "/Next" not in bookmark:
            break
        bookmark = bookmark["/Next"]
    assert [page for _title, page in targets] == [kids.raw_get(i).idnum for i in range(3)]
    assert all(title.startswith("Pre-flight checklist: ") for title, _page in targets)


@pytest.mark.django_db
def test_values_sit_in_their_form_slots(world_a, three_endpoints, pm_a, tmp_path):
    endpoint = three_endpoints[0]
    record_preflight(endpoint, by=pm_a, checks={"mac": {"ok": True, "note": "Re-labelled"},
                     "poe": {"ok": False, "note": ""}},
                     test_calls=_calls(["+13035550199"]), sign=False)  # fmt: skip
    migration = world_a["migration"]
    # A name that looks like the document's own markup changes nothing (it is escaped).
    migration.name = "</style><b>Acme</b> /* slot rules */ <!-- the sheets -->"
    pages = checklist_pages(migration, [endpoint], "https://voip.example.com/")
    rendered = checklist_pdf(migration, None, pages)
    assert rendered.info["on_form"] == 1
    data = rendered.pdf
    path = tmp_path / "one.pdf"
    path.write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    words = [
        (float(m[1]), float(m[2]), float(m[3]), float(m[4]), unescape(m[5]))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            html,
        )
    ]

    def word(text, after=None):
        found = [w for w in words if w[4] == text and (after is None or w[1] > after[1] - 1)]
        assert found, f"{text!r} is not on the page"
        return found[0]

    def same_line(a, b):
        return abs(a[3] - b[3]) < 2.5  # baselines within 2.5 pt

    mac_label, mac_value = word("MAC"), word(endpoint.mac_address)
    assert same_line(mac_label, mac_value) and mac_value[0] > mac_label[2]
    firmware_label = word("firmware")
    assert same_line(firmware_label, word(endpoint.firmware or "—", after=firmware_label))
    # The recorded marks sit in their boxes, before "Pass" / "Fail" of their own row.
    mac_row = word("label", after=word("matches"))
    tick = word("✓")
    assert same_line(tick, mac_row) and tick[2] < word("Pass", after=mac_row)[0]
    poe_row = word("PoE")
    cross = word("✗")
    assert same_line(cross, poe_row)
    fail = next(w for w in words if w[4] == "Fail" and same_line(w, poe_row))
    assert cross[2] < fail[0] and cross[0] > fail[0] - 20
    assert same_line(word("Re-labelled"), mac_row)
    # The line is stored in E.164 and printed as every page shows numbers.
    assert same_line(word("(303)"), word("1", after=word("called")))
    assert same_line(word("555-0199"), word("(303)"))


@pytest.mark.django_db
def test_a_name_that_needs_a_shaping_engine_prints_on_the_flowing_layout(
    world_a, three_endpoints, pm_a, tmp_path
):
    # Right-to-left text is not drawn on the form (no shaping engine there): WeasyPrint
    # lays that checklist out, in its place, and the others stay on the form.
    three_endpoints[2].display_name = "דנה כהן"
    three_endpoints[2].save()
    migration = world_a["migration"]
    pages = checklist_pages(migration, checklist_endpoints(migration),
                            "https://voip.example.com/")  # fmt: skip
    rendered = checklist_pdf(migration, None, pages)
    assert rendered.info["flowing"] == [three_endpoints[2].pk] and rendered.info["on_form"] == 2
    texts = _pages_text(rendered.pdf, tmp_path)
    assert "Checklist 3 of 3" in texts[-1] and "Technician signature" in texts[-1]
    assert three_endpoints[2].mac_address in texts[-1]


@pytest.mark.django_db
def test_without_the_drawing_fonts_every_checklist_prints_on_the_flowing_layout(
    world_a, three_endpoints, pm_a, tmp_path, settings, caplog
):
    settings.CHECKLIST_FONT_FILES = {False: "/nonexistent/Regular.ttf",
                                     True: "/nonexistent/Bold.ttf"}  # fmt: skip
    migration = world_a["migration"]
    pages = checklist_pages(migration, checklist_endpoints(migration),
                            "https://voip.example.com/")  # fmt: skip
    rendered = checklist_pdf(migration, None, pages)
    assert rendered.info["on_form"] == 0 and len(rendered.info["flowing"]) == 3
    texts = _pages_text(rendered.pdf, tmp_path)
    assert all(e.mac_address in " ".join(texts) for e in three_endpoints)
    assert "checklist fonts unreadable" in caplog.text


@pytest.mark.django_db
def test_values_too_long_for_the_form_print_on_the_flowing_layout_whole(
    world_a, three_endpoints, pm_a, tmp_path
):
    long_name = ("Reception and front desk shared handset " * 5)[:200]  # the field's limit
    three_endpoints[1].display_name = long_name
    three_endpoints[1].save()
    migration = world_a["migration"]
    pages = checklist_pages(migration, checklist_endpoints(migration),
                               "https://voip.example.com/")  # fmt: skip
    rendered = checklist_pdf(migration, None, pages)
    assert rendered.info["flowing"] == [three_endpoints[1].pk]
    assert rendered.info["on_form"] == 2 and rendered.pages == 2 + rendered.info["flowing_pages"]
    texts = _pages_text(rendered.pdf, tmp_path)
    flowing = " ".join(" ".join(texts[1 : 1 + rendered.info["flowing_pages"]]).split())
    assert long_name.strip() in flowing  # nothing cut off
    assert "Checklist 2 of 3 · Acme phones" in flowing and "Technician signature" in flowing
    assert "Checklist 3 of 3" in texts[-1]  # the order holds

    job = ChecklistJob.objects.create(migration=migration, requested_by=pm_a)
    assert render_checklists(job.pk, "https://voip.example.com/") == "done"
    job.refresh_from_db()
    assert "1 of them on the longer layout" in job.message


@pytest.mark.django_db
def test_a_value_running_off_the_bottom_of_its_page_never_lands_on_the_next(
    world_a, three_endpoints, pm_a, tmp_path
):
    migration = world_a["migration"]
    pages = checklist_pages(migration, checklist_endpoints(migration),
                               "https://voip.example.com/")  # fmt: skip
    # The last call's line is the lowest value on the page: long enough, it would run past
    # the bottom onto the next checklist's page; it is measured, refused, and printed whole.
    pages[0].calls[2] = {"line": "7" * 1500, "result": ""}
    rendered = checklist_pdf(migration, None, pages)
    assert rendered.info["flowing"] == [pages[0].endpoint.pk]
    assert rendered.info["on_form"] == 2
    texts = _pages_text(rendered.pdf, tmp_path)
    assert len(texts) == rendered.pages == 2 + rendered.info["flowing_pages"]
    first = texts[: rendered.info["flowing_pages"]]
    assert "".join(first).count("7" * 40) >= 30 and "".join(first).count("7") >= 1500
    for text in texts[rendered.info["flowing_pages"] :]:
        assert "7" * 40 not in text  # nothing of it on the other checklists' pages
    assert "Checklist 2 of 3" in texts[-2] and "Checklist 3 of 3" in texts[-1]
    # Alone in its document (one phone's checklist), it prints on the flowing layout too.
    alone = checklist_pdf(migration, None, pages[:1])
    assert alone.info["on_form"] == 0
    assert alone.pages == alone.info["flowing_pages"] >= 1


@pytest.mark.django_db
def test_each_page_has_a_qr_code_for_its_checklist_form(world_a, three_endpoints, pm_a, tmp_path):
    job = ChecklistJob.objects.create(
        migration=world_a["migration"], site=world_a["site"], requested_by=pm_a
    )
    base = portal_base_url(None)
    render_checklists(job.pk, base)
    job.refresh_from_db()
    data = job.pdf.read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "preflight-checklists.pdf").write_bytes(data)  # to look at (pdftoppm)
    text = _pdftotext(data, tmp_path, "-raw").replace("\n", "")
    codes = _qr_codes(data, tmp_path)
    assert len(codes) == 3
    for endpoint, on_page in zip(three_endpoints, codes, strict=True):
        url = _form_url(base, endpoint)
        match = resolve(urlsplit(url).path)
        assert match.url_name == "endpoint-preflight" and match.kwargs["pk"] == endpoint.pk
        assert on_page == [url]  # the printed code reads back as this endpoint's form
        assert url in text  # and the address is printed under it
    assert qr_data_uri("https://a.example/x").startswith("data:image/png;base64,")


@pytest.mark.django_db
def test_html_size_limit_grows_with_the_pages(world_a, three_endpoints, pm_a, settings):
    settings.PDF_MAX_HTML_BYTES = 4000  # below one value page document of 3 checklists
    migration = world_a["migration"]
    pages = checklist_pages(migration, checklist_endpoints(migration), "https://x.example/")
    assert checklist_pdf(migration, None, pages).pages == 3
    assert checklist_max_html_bytes(3) == 4000 + 3 * HTML_BYTES_PER_PAGE


@pytest.mark.django_db
def test_the_guard_used_in_the_rendering_child_refuses_queries(world_a):
    # (The flowing-layout tests above run it in the child itself.)
    with pytest.raises(RuntimeError, match="no database access"), _no_database():
        list(Preflight.objects.all())


@pytest.mark.django_db
def test_failed_render_marks_the_job_failed(world_a, pm_a):
    job = ChecklistJob.objects.create(migration=world_a["migration"], requested_by=pm_a)
    boom = pdf_render.RenderTimeout("too slow", timeout_seconds=1, pid=1)
    with mock.patch.object(pdf_render, "render_parallel", side_effect=boom):
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
        mock.patch("cutover.preflight.tasks.render_checklists.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(url, {"site": site.pk})
    assert len(callbacks) == 1
    job = ChecklistJob.objects.exclude(pk=world_a["checklist_job"].pk).get()
    assert job.site == site and job.requested_by == pm_a
    delay.assert_called_once_with(job.pk)
    assert job.base_url == "http://testserver/" and job.sent_at is not None
    job_url = reverse("checklist-job", args=[org_a.slug, job.pk])
    assert response["Location"] == job_url

    page = client.get(job_url).content.decode()
    status_url = reverse("checklist-job-status", args=[org_a.slug, job.pk])
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    pdf_url = reverse("checklist-job-pdf", args=[org_a.slug, job.pk])
    assert client.get(pdf_url).status_code == 404  # not ready yet

    render_checklists(job.pk)
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
