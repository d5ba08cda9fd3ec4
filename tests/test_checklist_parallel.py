"""The pre-flight checklists of a large migration, rendered in pieces at once and joined
into ONE PDF (cutover.preflight.checklists.checklist_pdf, docs/cutover-preflight.md).
Here the pieces and batches are made tiny, so that a few endpoints cross every seam: the
joined PDF has one page per checklist in order, each bookmark on its own page, the fixed
form stored once, each page's running footer ("Checklist n of N") and QR code its own,
and a checklist too long for the form still printed whole, in its place."""

import io
import subprocess

import pikepdf
import pytest
from django.urls import reverse

from cutover.preflight import checklists
from cutover.preflight.checklists import checklist_endpoints, checklist_pages, checklist_pdf

from . import factories as f

BASE = "https://voip.example.com/"


@pytest.fixture
def small_pieces(monkeypatch):
    """Render in pieces from 2 pages on, 2 flowing pages to a batch."""
    monkeypatch.setattr(checklists, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(checklists, "PAGES_PER_BATCH", 2)


@pytest.fixture
def seven(world_a):
    site = world_a["site"]
    for n in range(6):
        f.EndpointFactory(site=site, extension=f"2{n:02d}", display_name=f"Tech desk {n}")
    migration = world_a["migration"]
    return migration, checklist_endpoints(migration)


def _texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "joined.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.django_db
def test_a_migration_in_pieces_is_one_pdf_with_its_pages_bookmarks_and_one_form(
    seven, small_pieces, tmp_path
):
    migration, endpoints = seven
    assert len(endpoints) == 7
    rendered = checklist_pdf(migration, None, checklist_pages(migration, endpoints, BASE),
                             workers=3)  # fmt: skip
    assert rendered.pages == 7
    # Each piece writes its drawn pages as one PDF (batches are for the flowing layout).
    assert rendered.info["pieces"] == 3 and rendered.info["batches"] == 3
    assert rendered.info["on_form"] == 7 and rendered.info["flowing"] == []
    assert rendered.children == 4  # three pieces and the join

    texts = _texts(rendered.pdf, tmp_path)
    assert len(texts) == 7
    for number, (endpoint, text) in enumerate(zip(endpoints, texts, strict=True), start=1):
        # The per-page running footer counts the whole document, across the pieces.
        assert f"Checklist {number} of 7" in text and "Acme phones" in text
        assert endpoint.mac_address in text and "Technician signature" in text

    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        pages = list(pdf.pages)
        assert len({page.Resources.XObject.FixedForm.objgen for page in pages}) == 1
        assert len({page.Contents[0].objgen for page in pages}) == 1
        forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
                 and o.get("/Subtype") == "/Form"]  # fmt: skip
        assert len(forms) == 1  # the pieces' other copies are not in the file
        with pdf.open_outline() as outline:
            marks = [(str(item.title), item.destination[0].objgen) for item in outline.root]
        titles = [f"Pre-flight checklist: {e.display_name} · x{e.extension}" for e in endpoints]
        assert marks == list(zip(titles, [page.obj.objgen for page in pages], strict=True))
        assert str(pdf.docinfo["/Title"]) == "Pre-flight checklists · Acme phones"


@pytest.mark.django_db
def test_each_page_of_the_joined_pdf_has_its_own_qr_code(seven, small_pieces, tmp_path):
    import zxingcpp
    from PIL import Image

    migration, endpoints = seven
    rendered = checklist_pdf(migration, None, checklist_pages(migration, endpoints, BASE),
                             workers=2)  # fmt: skip
    path = tmp_path / "joined.pdf"
    path.write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "qr")],
                   check=True)  # fmt: skip
    codes = [
        [code.text for code in zxingcpp.read_barcodes(Image.open(png))]
        for png in sorted(tmp_path.glob("qr-*.png"))
    ]
    expected = [
        BASE.rstrip("/") + reverse("endpoint-preflight", args=["northwind", e.pk])
        for e in endpoints
    ]
    assert codes == [[url] for url in expected]


@pytest.mark.django_db
def test_a_checklist_too_long_for_the_form_prints_whole_in_its_place_in_a_later_piece(
    seven, small_pieces, tmp_path
):
    migration, endpoints = seven
    long_name = ("Reception and front desk shared handset " * 5)[:200]
    sixth = endpoints[5]
    sixth.display_name = long_name
    sixth.save()
    pages = checklist_pages(migration, checklist_endpoints(migration), BASE)
    assert pages[5].endpoint.pk == sixth.pk
    rendered = checklist_pdf(migration, None, pages, workers=2)
    assert rendered.info["flowing"] == [sixth.pk] and rendered.info["on_form"] == 6
    flowing = rendered.info["flowing_pages"]
    assert rendered.pages == 6 + flowing
    texts = _texts(rendered.pdf, tmp_path)
    assert "Checklist 5 of 7" in texts[4]
    long_pages = " ".join(" ".join(texts[5 : 5 + flowing]).split())
    assert long_name.strip() in long_pages  # nothing cut off
    # The flowing layout's own running footer (string-set) numbers it in the whole.
    assert "Checklist 6 of 7 · Acme phones" in long_pages
    assert "Checklist 7 of 7" in texts[5 + flowing]
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf, pdf.open_outline() as outline:
        targets = [pdf.pages.index(pikepdf.Page(item.destination[0]))
                   for item in outline.root]  # fmt: skip
    assert targets[:5] == [0, 1, 2, 3, 4] and targets[-1] == 5 + flowing


@pytest.mark.django_db
def test_a_small_document_is_still_rendered_in_one_child(seven):
    migration, endpoints = seven
    rendered = checklist_pdf(migration, None, checklist_pages(migration, endpoints, BASE))
    assert rendered.children == 1 and "pieces" not in rendered.info and rendered.pages == 7


def test_pieces_are_runs_of_consecutive_pages_as_equal_as_can_be():
    assert checklists._chunks(list(range(1, 8)), 3) == [[1, 2, 3], [4, 5], [6, 7]]
    assert checklists._chunks([1], 2) == [[1]]
    assert checklists.checklist_workers() >= 1
