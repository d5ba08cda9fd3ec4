"""The customer's migration portal: one link per contact (hashed, expiring, revocable,
rate-limited), status in the customer's words, their tasks with due dates (signing, a
bill upload checked by content and size), "we're stuck" reaching the PM and showing on
the migration's page until cleared, and their signed documents. Another organization's
or another migration's things are 404."""

import hashlib
import io
import random
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customerportal.models import CustomerPortalLink, Questionnaire, StuckFlag
from porting.models import CarrierBill, PortOrder

from .conftest import login
from .signing import sign_loa

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOKEN_RE = re.compile(r"/portal/([A-Za-z0-9_-]{43})/")


def customer():
    """An anonymous browser with its own address, so rate limits never cross tests."""
    return Client(
        REMOTE_ADDR=f"2001:db8::{random.randrange(1, 0xFFFF):x}:{random.randrange(1, 0xFFFF):x}"
    )


def task(body, prefix):
    """The HTML of the first task whose key starts with `prefix`."""
    match = re.search(
        rf'data-task="{prefix}[^"]*"(.*?)(?=data-testid="task"|</section>)', body, re.S
    )
    assert match, body
    return match.group(1)


@pytest.fixture(autouse=True)
def fresh_portal(request, db):
    """Without the worlds' own bill, link and stuck flag (made for the page walkers)."""
    if request.node.name.startswith("test_the_api_"):
        return  # these read the worlds' own rows
    for world in ("world_a", "world_b"):
        if world in request.fixturenames:
            request.getfixturevalue(world)
    StuckFlag.objects.all().delete()
    Questionnaire.objects.all().delete()
    CarrierBill.objects.all().delete()
    CustomerPortalLink.objects.all().delete()


@pytest.fixture
def sent(client, pm_a, org_a, world_a):
    """The PM sends the customer's contact a link from the migration's portal page."""
    login(client, pm_a)
    url = reverse("customer-portal-links", args=[org_a.slug, world_a["migration"].uuid])
    response = client.post(url, {"name": "Dana Office", "email": "Dana@Acme.example"},
                           follow=True)  # fmt: skip
    assert response.status_code == 200 and "Portal link sent" in response.content.decode()
    token = TOKEN_RE.search(mail.outbox[-1].body).group(1)
    assert token not in response.content.decode()  # the PM's page never shows it
    return token


def portal(token):
    return reverse("customerportal:portal", args=[token])


def test_a_link_is_hashed_at_rest_and_opens_the_portal(sent, world_a):
    link = CustomerPortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(sent.encode()).hexdigest()
    assert link.email == "dana@acme.example"
    page = customer().get(portal(sent))
    body = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Acme Tax Services LLC" in body and "Where things stand" in body
    assert 'data-testid="readiness-summary"' in body and "E911" in body
    assert 'href="/o/' not in body  # no staff page is linked from the customer's portal
    link.refresh_from_db()
    assert link.last_seen_at is not None


def test_unknown_revoked_and_expired_links(sent, client, org_a, pm_a):
    assert customer().get(portal("x" * 43)).status_code == 404
    assert customer().get(portal("short")).status_code == 404
    link = CustomerPortalLink.objects.get()
    CustomerPortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert customer().get(portal(sent)).status_code == 410
    CustomerPortalLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    client.post(reverse("customer-portal-revoke", args=[org_a.slug, link.pk]), {})
    assert customer().get(portal(sent)).status_code == 410


def test_the_portal_is_rate_limited(sent, settings):
    settings.PORTAL_RATE_LIMIT_PER_MINUTE = 2
    visitor = customer()
    codes = [visitor.get(portal(sent)).status_code for _ in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429


def test_tasks_have_a_status_and_a_due_date(sent, world_a):
    migration = world_a["migration"]
    migration.target_start = timezone.now().date() + timedelta(days=40)
    migration.save()
    body = customer().get(portal(sent)).content.decode()
    loa_task = task(body, "loa:")
    assert "Sign the Letter of Authorization" in loa_task and "To do" in loa_task
    assert "Due " in loa_task  # the signing link's expiry
    bill_task = task(body, "bill:")
    due = migration.target_start - timedelta(days=21)
    assert f"Due {due:%a, %b} {due.day}" in bill_task


def test_a_bill_is_checked_by_content_and_size_and_shown_to_the_pm(
    sent, world_a, client, org_a, pm_a
):
    account = world_a["carrier_account"]
    visitor = customer()
    not_a_pdf = _upload("bill.pdf", b"MZ\x90 not a pdf")
    fake = visitor.post(portal(sent), {"action": "bill", "account": account.pk, "bill": not_a_pdf})
    assert fake.status_code == 400 and "PDF, or a photo or scan" in fake.content.decode()
    assert not CarrierBill.objects.exists()
    other = world_a["carrier_account"].pk + 10_000
    refused = visitor.post(portal(sent), {"action": "bill", "account": other,
                                          "bill": _upload("bill.pdf", PDF)})  # fmt: skip
    assert refused.status_code == 400 and not CarrierBill.objects.exists()
    upload = {"action": "bill", "account": account.pk, "bill": _upload("March bill.pdf", PDF)}
    done = visitor.post(portal(sent), upload, follow=True)
    assert "the bill is uploaded" in done.content.decode()
    bill = CarrierBill.objects.get()
    assert (bill.content_type, bill.original_name, bill.uploaded_by_name) == (
        "application/pdf",
        "March bill.pdf",
        "Dana Office",
    )
    assert "March bill" not in bill.file.name  # stored under a random name
    assert "Received" in task(done.content.decode(), "bill:")


def test_a_huge_bill_is_refused(sent, world_a, monkeypatch):
    from porting import bills

    monkeypatch.setattr(bills, "MAX_BILL_BYTES", len(PDF) - 1)
    response = customer().post(portal(sent), {
        "action": "bill", "account": world_a["carrier_account"].pk,
        "bill": _upload("bill.pdf", PDF)})  # fmt: skip
    assert response.status_code == 400 and "too large" in response.content.decode()


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_stuck_reaches_the_pm_and_shows_until_cleared(
    sent, world_a, client, org_a, pm_a, django_capture_on_commit_callbacks
):
    account = world_a["carrier_account"]
    visitor = customer()
    empty = visitor.post(portal(sent), {"action": "stuck", "task": f"bill:{account.pk}",
                                        "note": " "})  # fmt: skip
    assert empty.status_code == 400 and not StuckFlag.objects.exists()
    unknown = visitor.post(portal(sent), {"action": "stuck", "task": "bill:999999",
                                          "note": "help"})  # fmt: skip
    assert unknown.status_code == 400 and "not on your list" in unknown.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(portal(sent), {"action": "stuck", "task": f"bill:{account.pk}",
                                    "note": "Our bills go to the head office."})  # fmt: skip
    flag = StuckFlag.objects.get()
    notice = mail.outbox[-1]
    assert pm_a.email in notice.to and "Stuck: Dana Office" in notice.subject
    assert "head office" in notice.body
    page = client.get(world_a["migration"].get_absolute_url()).content.decode()
    assert 'data-testid="stuck-flag"' in page and "head office" in page
    # The organization's home puts it first, linked to where it is answered; another
    # organization's flags never show there.
    home = client.get(reverse("org-home", args=[org_a.slug])).content.decode()
    assert home.count('data-testid="stuck-flag"') == StuckFlag.objects.for_org(org_a).count()
    assert "head office" in home and home.index("stuck-flags") < home.index("Active migrations")
    answer = reverse("customer-portal-links", args=[org_a.slug, world_a["migration"].uuid])
    assert answer in home
    assert "You told us you are stuck here" in customer().get(portal(sent)).content.decode()
    client.post(reverse("stuck-flag-clear", args=[org_a.slug, flag.pk]), {"reason": "called"})
    flag.refresh_from_db()
    assert flag.cleared_at is not None and flag.cleared_by == pm_a
    assert 'data-testid="stuck-flag"' not in client.get(
        world_a["migration"].get_absolute_url()).content.decode()  # fmt: skip
    assert 'data-testid="stuck-flag"' not in client.get(
        reverse("org-home", args=[org_a.slug])).content.decode()  # fmt: skip


def test_signed_documents_and_another_migrations_are_404(sent, world_a, world_b, pm_a, pm_b):
    signature = sign_loa(world_a["loa"], by=pm_a)
    body = customer().get(portal(sent)).content.decode()
    url = reverse("customerportal:document", args=[sent, signature.pk])
    assert url in body
    download = customer().get(url)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    other = sign_loa(world_b["loa"], by=pm_b)
    assert (
        customer().get(reverse("customerportal:document", args=[sent, other.pk])).status_code == 404
    )


def test_port_day_in_the_sites_time_zone(sent, world_a):
    order = world_a["port_order"]
    foc = timezone.now() + timedelta(days=5)
    PortOrder.objects.filter(pk=order.pk).update(state=PortOrder.State.FOC_RECEIVED, foc_at=foc,
                                                 foc_timezone="America/Chicago")  # fmt: skip
    body = customer().get(portal(sent)).content.decode()
    assert 'data-testid="port-day"' in body and "America/Chicago" in body
    assert "Port date confirmed" in body


def test_pm_page_scoped_and_roles(client, org_a, org_b, world_a, viewer_a, pm_b):
    url = reverse("customer-portal-links", args=[org_a.slug, world_a["migration"].uuid])
    login(client, viewer_a)
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "X", "email": "x@example.com"}).status_code == 403
    login(client, pm_b)
    assert client.get(url).status_code == 404


def test_the_pm_reads_the_bill_beside_the_csr(sent, world_a, client, org_a, pm_b):
    account = world_a["carrier_account"]
    customer().post(portal(sent), {"action": "bill", "account": account.pk,
                                   "bill": _upload("bill.pdf", PDF)})  # fmt: skip
    bill = CarrierBill.objects.get()
    page = client.get(account.get_absolute_url()).content.decode()
    url = reverse("carrier-account-bill", args=[org_a.slug, account.pk, bill.pk])
    assert url in page and "through the customer portal" in page
    download = client.get(url)
    assert download.status_code == 200 and download.content == PDF
    login(client, pm_b)
    assert client.get(url).status_code == 404


# --- the site questionnaire -----------------------------------------------------------


def questionnaire_url(token, site):
    return reverse("customerportal:questionnaire", args=[token, site.pk])


def answers(*people, action="submit", **extra):
    data = {"action": action, "person_name": [], "person_extension": [], "person_did": [],
            "person_kind": [], "person_email": [], "person_remote": [],
            "hunt_groups": "Front desk: 301, 302", "hours_mon": "08:00-17:00",
            "holidays": "Dec 25", "after_hours": "voicemail", **extra}  # fmt: skip
    for i, (name, ext, did, remote, email) in enumerate(people):
        data["person_name"].append(name)
        data["person_extension"].append(ext)
        data["person_did"].append(did)
        data["person_kind"].append("softphone" if remote else "desk_phone")
        data["person_email"].append(email)
        if remote:
            data["person_remote"].append(str(i))
    return data


GOOD = [("Ana Front", "301", "(214) 555-0301", False, ""),
        ("Ben Home", "302", "", True, "ben@acme.example")]  # fmt: skip


def test_a_refused_submission_imports_nothing_reports_each_row_and_keeps_the_draft(sent, world_a):
    from customerportal.models import Questionnaire
    from sites.models import Endpoint

    site, visitor = world_a["site"], customer()
    before = Endpoint.objects.count()
    bad = [GOOD[0], ("Ben Home", "3", "", True, "")]  # extension too short, no email
    response = visitor.post(questionnaire_url(sent, site), answers(*bad))
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was submitted: fix 1 row" in body
    rows = re.findall(r'<fieldset class="person( has-errors)?"', body)
    assert rows[:2] == ["", " has-errors"]  # the error sits beside the second person
    assert "A remote worker needs an email" in body and "2 to 8 digits" in body
    assert Endpoint.objects.count() == before  # all or nothing
    draft = Questionnaire.objects.get()
    assert draft.status == "draft" and draft.people[1]["name"] == "Ben Home"  # kept
    assert "Ben Home" in visitor.get(questionnaire_url(sent, site)).content.decode()


def test_submitted_then_accepted_into_the_inventory_from_the_customer(
    sent, world_a, client, org_a, pm_a, django_capture_on_commit_callbacks
):
    from customerportal.models import Questionnaire
    from e911.models import RemoteWorker
    from porting.models import PhoneNumber
    from sites.models import Endpoint

    site = world_a["site"]
    with django_capture_on_commit_callbacks(execute=True):
        done = customer().post(questionnaire_url(sent, site), answers(*GOOD), follow=True)
    assert "Submitted: thank you" in done.content.decode()
    assert "Questionnaire submitted" in mail.outbox[-1].subject  # the PM is told
    questionnaire = Questionnaire.objects.get()
    assert questionnaire.status == "submitted" and questionnaire.submitted_by_name == "Dana Office"
    portal_body = customer().get(portal(sent)).content.decode()
    assert "we are reviewing it" in task(portal_body, "questionnaire:")
    # The PM reviews it and accepts it.
    page = client.get(
        reverse("customer-portal-links", args=[org_a.slug, world_a["migration"].uuid])
    )
    assert "Front desk: 301, 302" in page.content.decode()
    client.post(reverse("questionnaire-accept", args=[org_a.slug, questionnaire.pk]), {})
    questionnaire.refresh_from_db()
    assert questionnaire.status == "accepted" and questionnaire.accepted_by == pm_a
    ana = Endpoint.objects.get(site=site, extension="301")
    assert ana.display_name == "Ana Front"
    assert "from the customer's questionnaire" in ana.history.first().history_change_reason
    assert PhoneNumber.objects.get(number="+12145550301").endpoint == ana
    worker = RemoteWorker.objects.get(email="ben@acme.example")
    assert worker.links.exists()  # the home-address link went out
    assert any(m.to == ["ben@acme.example"] for m in mail.outbox)
    assert "it is in our plan" in task(customer().get(portal(sent)).content.decode(),
                                       "questionnaire:")  # fmt: skip


def test_another_migrations_site_is_404(sent, world_b):
    assert customer().get(questionnaire_url(sent, world_b["site"])).status_code == 404


def test_the_api_sends_lists_revokes_clears_and_accepts(
    api_client_for, pm_a, pm_b, org_a, org_b, world_a
):
    api = api_client_for(pm_a)
    base = f"/api/o/{org_a.slug}"
    sent = api.post(f"{base}/portal-links/", {"migration": str(world_a["migration"].uuid),
                                              "name": "Dana", "email": "dana@acme.example"},
                    format="json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    token = TOKEN_RE.search(mail.outbox[-1].body).group(1)
    assert token not in sent.content.decode()
    link_id = sent.json()["id"]
    listed = api.get(f"{base}/portal-links/").json()
    assert link_id in [row["id"] for row in listed.get("results", listed)]
    assert api.post(f"{base}/portal-links/{link_id}/revoke/", {}, format="json").json()[
        "state"] == "revoked"  # fmt: skip
    flag = world_a["stuck_flag"]
    cleared = api.post(f"{base}/stuck-flags/{flag.pk}/clear/", {"reason": "called"},
                       format="json")  # fmt: skip
    assert cleared.status_code == 200 and cleared.json()["cleared_at"]
    questionnaire = world_a["questionnaire"]
    accepted = api.post(f"{base}/questionnaires/{questionnaire.pk}/accept/", format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    other = api_client_for(pm_b)
    assert other.get(f"{base}/portal-links/{link_id}/").status_code == 404
    assert other.post(f"/api/o/{org_b.slug}/portal-links/", {
        "migration": str(world_a["migration"].uuid), "name": "X", "email": "x@example.com",
    }, format="json").status_code == 404  # fmt: skip


def test_the_customer_confirms_the_site_contacts(sent, world_a, world_b):
    site, visitor = world_a["site"], customer()
    body = visitor.get(portal(sent)).content.decode()
    assert "To do" in task(body, "contacts:")
    missing = visitor.post(portal(sent), {"action": "contacts", "site": site.pk,
                                          "contact_name": "Sam Lead"})  # fmt: skip
    assert missing.status_code == 400 and "Their phone" in missing.content.decode()
    elsewhere = visitor.post(portal(sent), {"action": "contacts", "site": world_b["site"].pk,
                                            "contact_name": "X", "contact_phone": "1"})  # fmt: skip
    assert elsewhere.status_code == 400 and "Choose one of the sites" in elsewhere.content.decode()
    done = visitor.post(portal(sent), {
        "action": "contacts", "site": site.pk, "contact_name": "Sam Lead",
        "contact_phone": "(214) 555-0199", "after_hours_contact": "Kim, (214) 555-0198",
    }, follow=True)  # fmt: skip
    assert "the contacts are confirmed" in done.content.decode()
    site.refresh_from_db()
    assert (site.contact_name, site.contacts_confirmed_by) == ("Sam Lead", "Dana Office")
    reason = site.history.first().history_change_reason
    assert "confirmed by Dana Office through the customer portal" in reason
    assert "Confirmed" in task(done.content.decode(), "contacts:")
    world_b["site"].refresh_from_db()
    assert world_b["site"].contact_name == ""


def test_the_api_lists_the_customers_tasks(api_client_for, pm_a, pm_b, org_a, org_b, world_a):
    api = api_client_for(pm_a)
    url = f"/api/o/{org_a.slug}/customer-tasks/?migration={world_a['migration'].uuid}"
    tasks = api.get(url).json()
    keys = {t["key"]: t for t in tasks}
    bill = keys[f"bill:{world_a['carrier_account'].pk}"]
    assert bill["status"] == "done" and bill["stuck"] is True  # the world's flag
    assert any(k.startswith("loa:") for k in keys) and any(k.startswith("contacts:") for k in keys)
    assert api_client_for(pm_b).get(url.replace(org_a.slug, "lear")).status_code == 404
    assert api.get(f"/api/o/{org_a.slug}/customer-tasks/").status_code == 400


def test_with_the_cache_down_the_portals_still_answer(sent, world_a, monkeypatch):
    """Redis down must not take the customer's pages with it: the rate limit counts in
    the process (and says so in the log) while the cache does not answer
    (tests/test_portal_limit_fallback.py)."""
    from tenancy import portal as portal_module

    class DownCache:
        def add(self, *args, **kwargs):
            raise ConnectionError("redis is down")

        def incr(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(portal_module, "cache", DownCache())
    assert customer().get(portal(sent)).status_code == 200
    signing = reverse("esign:portal", args=["x" * 43])
    assert customer().get(signing).status_code == 404  # an answer, not a 500


def _pdf_text(data: bytes) -> str:
    import subprocess

    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_the_readiness_summary_is_a_document_in_the_customers_words(sent, world_a, org_a):
    """Beside the signed letters: the readiness summary as a PDF, in the organization's
    name, with the phases, the customer's tasks and the 911 checks, and nothing of the
    PM's (no fix links, no staff pages); on Letter or A4; dead links get nothing."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    url = reverse("customerportal:readiness-summary", args=[sent])
    assert url in customer().get(portal(sent)).content.decode()
    download = customer().get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]
    text = " ".join(_pdf_text(download.content).split())
    assert "Readiness summary" in text and world_a["migration"].name in text
    assert org_a.name in text and "Acme Tax Services LLC" in text
    assert "Your tasks" in text and "Upload a recent bill" in text
    assert "911: every phone reports the right address" in text
    assert "/o/" not in text and "Fix" not in text
    a4 = customer().get(url + "?paper=a4")
    letter = PdfFileReader(io.BytesIO(download.content)).root["/Pages"]["/Kids"][0]
    page = PdfFileReader(io.BytesIO(a4.content)).root["/Pages"]["/Kids"][0]
    assert round(float(letter["/MediaBox"][3])) == 792  # 11 in
    assert round(float(page["/MediaBox"][3])) == 842  # 297 mm
    assert customer().get(url + "?paper=a5").status_code == 400
    link = CustomerPortalLink.objects.get()
    CustomerPortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert customer().get(url).status_code == 410
    other = reverse("customerportal:readiness-summary", args=["x" * 43])
    assert customer().get(other).status_code == 404
