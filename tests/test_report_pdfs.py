"""The printed reports (readiness, go/no-go) of a large migration, read back with
poppler: on A4 and on Letter, every item listed in full (no "+N more"), no word broken
inside a column, and every blocker's fix printed as a full URL and linked."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from customers.models import Migration
from cutover.go import views as go_views
from cutover.go.selectors import go_no_go
from cutover.go.services import decide, sign_off
from cutover.models import SignOff
from e911.models import RemoteWorker
from e911.readiness import views as readiness_views
from e911.readiness.selectors import readiness
from tenancy.models import Membership
from tenancy.roles import Role

from . import factories as f
from .conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BASE = "http://testserver"
PAGE_SIZES = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}  # points, as pdfinfo says
MORE = re.compile(r"\+\s*\d+\s+more")
# What each page repeats (the footer, a table's header row), cut out of the text so that
# a cell continued on the next page reads as one.
FURNITURE = re.compile(
    r"^(.* page \d+ of \d+|State Section Item|State Check Reason|State Sign-off Detail Who / "
    r"when|When \(UTC\) Decision Who Reason Not ready then)$"
)
LETTERS = re.compile(r"[^\W\d_]+")


@pytest.fixture
def large(db):
    """The demo's 60-seat migration grown to 18 sites: 60 more phones at 15 branch
    offices without a location, so the readiness report has over 40 items and the
    details name dozens of phones, numbers and remote workers (the page names 6)."""
    call_command("load_demo", password="demo-pass-123", stdout=StringIO())
    migration = Migration.objects.get(name="Bluebird hosted voice (phased, 14 days)")
    for n in range(1, 16):
        site = f.SiteFactory(migration=migration, name=f"Branch {n:02d} Lakewood office")
        for _ in range(4):
            f.EndpointFactory(site=site)
    pm = f.UserFactory(username="pm_demo", first_name="Parker", last_name="Manning")
    f.MembershipFactory(user=pm, organization=migration.organization,
                        role=Role.PROJECT_MANAGER)  # fmt: skip
    sign_off(migration, item=SignOff.Item.NUMBERING, by=pm, note="caller ID checked")
    sign_off(migration, item=SignOff.Item.PILOT_ISSUES, by=pm, deferred=True,
             note="hold music on the Boulder queue: after the first wave")  # fmt: skip
    decide(migration, decision="no_go", by=pm, reason="E911 coverage at the branches")
    return migration, pm


@pytest.fixture
def printed_html(monkeypatch):
    """The HTML each PDF view hands to the renderer, in order."""
    seen = []
    for module in (readiness_views, go_views):
        real = module.render_pdf

        def spy(html, _real=real, **kwargs):
            seen.append(html)
            return _real(html, **kwargs)

        monkeypatch.setattr(module, "render_pdf", spy)
    return seen


def _poppler(tool, data, tmp_path, *flags) -> str:
    if not shutil.which(tool):
        pytest.fail(f"{tool} is required (apt-get install poppler-utils; tools/system-packages)")
    path = tmp_path / f"{tool}.pdf"
    path.write_bytes(data)
    args = [tool, *flags, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _page_size(data, tmp_path):
    info = _poppler("pdfinfo", data, tmp_path)
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(width), float(height)


def _body_lines(raw) -> list[str]:
    """pdftotext -raw (drawing order: each cell's lines in turn) without the furniture."""
    return [line for line in raw.splitlines() if not FURNITURE.match(line.strip())]


def _unspaced(text) -> str:
    return re.sub(r"\s+", "", text)


def _is_url_piece(line) -> bool:
    """A line of a printed URL, which may wrap at any character."""
    return " " not in line.strip() and ("/" in line or line.startswith("http"))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def _words_of(html) -> set[str]:
    """Every run of letters in the document's text (and its stylesheet's footer)."""
    parser = _Text()
    parser.feed(html)
    return set(LETTERS.findall(" ".join(parser.parts)))


def _split_words(raw, html) -> set[str]:
    """Runs of letters printed that the document does not have: the pieces of a word
    broken across lines ("bl", "oc", "kin"). Printed URLs are left out: they wrap at any
    character on purpose."""
    printed = " ".join(line for line in _body_lines(raw) if not _is_url_piece(line))
    return set(LETTERS.findall(printed)) - _words_of(html)


def _table_rows(layout, header) -> list[list[str]]:
    """The rows of each table headed `header` (its column titles, as pdftotext -layout
    prints them) as lists of cells, each cell's lines joined with a space. A column runs
    from its title to the next one's; a row starts where the first column has text, and
    a row that goes on over a page goes on past the repeated header."""
    rows, starts = [], None
    for line in layout.splitlines():
        if " ".join(line.split()) == " ".join(header):
            starts = [line.index(title) - 1 for title in header]
            continue
        if starts is None or not line.strip() or FURNITURE.match(line.strip()):
            continue
        if line[:1].strip():  # text at the left edge: the table has ended
            starts = None
            continue
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        if cells[0]:
            rows.append([[] for _ in header])
        for lines, cell in zip(rows[-1], cells, strict=True):
            if cell:
                lines.append(cell)
    return [[_joined(lines) for lines in row] for row in rows]


def _joined(lines) -> str:
    """A cell's lines as one text: a space where a line ended between words, nothing
    where it ended after a hyphen of the text ("FOC-" then "confirmed")."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("-") else " " + line
    return text


def _render(client, name, migration, paper):
    url = reverse(name, args=[migration.organization.slug, migration.uuid])
    response = client.get(url, {"paper": paper})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert paper in response["Content-Disposition"]
    return response.content


def _fix_urls(items) -> set[str]:
    return {BASE + i.fix.url for i in items if not i.ok and i.fix and i.fix.url}


def _assert_fixes_printed_and_linked(items, raw, data, tmp_path):
    urls = _fix_urls(items)
    assert urls
    printed = _unspaced(raw)
    links = set(_poppler("pdfinfo", data, tmp_path, "-url").split())
    for url in urls:
        assert url in printed, url
        assert url in links, url


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_readiness_pdf_lists_every_item_whole_with_its_fix(
    client, large, printed_html, paper, tmp_path
):
    migration, pm = large
    report = readiness(migration, limit=None)
    assert len(report.items) > 40 and len(report.blocking) > 20
    shortened = readiness(migration)
    assert any(MORE.search(i.detail) for i in shortened.items)  # the page's short form
    login(client, pm)
    data = _render(client, "migration-readiness-pdf", migration, paper)
    assert _page_size(data, tmp_path) == pytest.approx(PAGE_SIZES[paper], abs=0.5)
    layout = _poppler("pdftotext", data, tmp_path, "-layout")
    raw = _poppler("pdftotext", data, tmp_path, "-raw")
    body = _unspaced(" ".join(_body_lines(raw)))
    assert not MORE.search(raw) and "more)" not in raw
    for item in report.items:
        assert _unspaced(item.title) in body, item.title
        # Every phone, number and worker the item names, not the first few.
        assert _unspaced(item.detail) in body, item.detail
    for worker in RemoteWorker.objects.filter(migration=migration, confirmed_at=None):
        assert _unspaced(worker.name) in body
    # Each row's state and section read whole, in the report's order.
    rows = _table_rows(layout, ["State", "Section", "Item"])
    assert [row[:2] for row in rows] == [[i.state, i.section] for i in report.ordered()]
    assert _split_words(raw, printed_html[-1]) == set()
    _assert_fixes_printed_and_linked(report.items, raw, data, tmp_path)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_go_no_go_pdf_is_the_whole_record(client, large, printed_html, paper, tmp_path):
    migration, pm = large
    result = go_no_go(migration, limit=None)
    assert not result.ok and len(result.failing) >= 5
    login(client, pm)
    data = _render(client, "cutover-go-pdf", migration, paper)
    assert _page_size(data, tmp_path) == pytest.approx(PAGE_SIZES[paper], abs=0.5)
    layout = _poppler("pdftotext", data, tmp_path, "-layout")
    raw = _poppler("pdftotext", data, tmp_path, "-raw")
    body = _unspaced(" ".join(_body_lines(raw)))
    assert not MORE.search(raw) and "more)" not in raw
    for item in result.items:
        assert _unspaced(item.title) in body, item.title
        assert _unspaced(item.detail) in body, item.detail
    # The pre-flight check names every phone that has not passed: here, all of them.
    assert migration.endpoints.count() > 100
    for endpoint in migration.endpoints.all():
        assert _unspaced(str(endpoint)) in body, endpoint
    # The sign-offs with who and when, the decision with its reason.
    assert "ParkerManning" in body and "Explicitlydeferred" in body
    assert "Decision:No-go,byParkerManning" in body and "E911coverageatthebranches" in body
    # Each check's state and title read whole, in order.
    computed = _table_rows(layout, ["State", "Check", "Reason"])
    manual = _table_rows(layout, ["State", "Sign-off", "Detail", "Who / when"])
    assert [row[:2] for row in computed + manual] == [
        ["ok" if i.ok else "missing", i.title] for i in result.items
    ]
    who = {row[1]: row[3] for row in manual}
    assert who[SignOff.Item.NUMBERING.label].startswith("Parker Manning 20")
    assert who[SignOff.Item.SUPPORT.label] == "—"
    assert _split_words(raw, printed_html[-1]) == set()
    _assert_fixes_printed_and_linked(result.items, raw, data, tmp_path)


def test_pages_link_their_pdfs_on_each_paper(client, large):
    migration, pm = large
    login(client, pm)
    slug = migration.organization.slug
    for page, pdf in (("migration-readiness", "migration-readiness-pdf"),
                      ("cutover-go", "cutover-go-pdf")):  # fmt: skip
        html = client.get(reverse(page, args=[slug, migration.uuid])).content.decode()
        url = reverse(pdf, args=[slug, migration.uuid])
        assert f'href="{url}"' in html and "Download PDF" in html
        assert f'href="{url}?paper=a4"' in html and f'href="{url}?paper=letter"' in html


def test_default_paper_comes_from_the_setting_and_a_wrong_one_is_refused(
    client, large, settings, tmp_path
):
    migration, pm = large
    login(client, pm)
    url = reverse("cutover-go-pdf", args=[migration.organization.slug, migration.uuid])
    settings.PDF_PAPER_SIZE = "a4"
    assert _page_size(client.get(url).content, tmp_path) == pytest.approx(PAGE_SIZES["a4"], abs=0.5)
    assert _page_size(client.get(url, {"paper": "Letter"}).content, tmp_path) == pytest.approx(
        PAGE_SIZES["letter"], abs=0.5
    )
    assert client.get(url, {"paper": "legal"}).status_code == 400


def test_another_organizations_user_gets_404_for_both_pdfs(client, large, pm_b):
    migration, _pm = large
    assert not Membership.objects.filter(user=pm_b, organization=migration.organization_id)
    login(client, pm_b)
    for name in ("migration-readiness-pdf", "cutover-go-pdf"):
        url = reverse(name, args=[migration.organization.slug, migration.uuid])
        assert client.get(url, {"paper": "a4"}).status_code == 404
