"""Organization document seals (PAdES via pyHanko): keys, sealing, verification."""

import datetime as dt
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.db import connection
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents.render import render_pdf
from esign.models import KeySource, OrganizationSigningKey
from esign.seal import import_pkcs12, seal_pdf, signing_key_for, verify_pdf

pytestmark = pytest.mark.dates  # runs again with the clock moved forward


@pytest.fixture(scope="module")
def plain_pdf():
    return render_pdf("<p>Hello</p>")


def _pkcs12(common_name, password=b"s3cret", *, days=365):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2 if days > 0 else 30))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"seal", key, cert, None, encryption), cert


def _flip_byte_in_first_stream(data: bytes) -> bytes:
    start = data.index(b"stream\n") + len(b"stream\n") + 5
    assert start < data.index(b"/ByteRange")  # inside the signed original revision
    changed = bytearray(data)
    changed[start] ^= 0x01
    return bytes(changed)


def test_first_use_creates_one_self_signed_key_per_org(org_a, org_b):
    key = signing_key_for(org_a)
    assert signing_key_for(org_a).pk == key.pk
    assert OrganizationSigningKey.objects.filter(organization=org_a).count() == 1
    assert key.source == KeySource.SELF_SIGNED and key.is_current
    assert f"CN={org_a.name} document seal" in key.subject
    assert f"O={org_a.name}" in key.subject
    assert len(key.fingerprint) == 64
    assert (key.not_after - key.not_before).days >= 5 * 365
    cert = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    other = signing_key_for(org_b)
    assert other.organization_id == org_b.pk
    assert other.fingerprint != key.fingerprint


def test_private_key_is_encrypted_at_rest_and_kept_out_of_history(org_a):
    key = signing_key_for(org_a)
    assert "BEGIN PRIVATE KEY" in key.private_key_pem  # the app sees plaintext
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key_pem FROM esign_organizationsigningkey WHERE id = %s", [key.pk]
        )
        (raw,) = cursor.fetchone()
    assert "PRIVATE KEY" not in raw
    history_fields = {f.name for f in key.history.model._meta.get_fields()}
    assert "private_key_pem" not in history_fields
    assert key.history.count() == 1


def test_sealed_pdf_verifies(org_a, plain_pdf):
    sealed = seal_pdf(plain_pdf, org_a)
    assert sealed.startswith(plain_pdf)  # an incremental update: the original is untouched
    check = verify_pdf(sealed, org_a)
    assert check.valid and check.intact and check.trusted, check.summary
    assert check.signer_fingerprint == signing_key_for(org_a).fingerprint
    assert check.signed_at is not None
    assert check.summary.startswith("Valid")
    assert b"/ETSI.CAdES.detached" in sealed


def test_one_changed_byte_makes_the_seal_invalid(org_a, plain_pdf):
    sealed = seal_pdf(plain_pdf, org_a)
    check = verify_pdf(_flip_byte_in_first_stream(sealed), org_a)
    assert not check.valid and not check.intact
    assert "modified" in check.summary


def test_seal_of_another_org_is_not_trusted(org_a, org_b, plain_pdf):
    sealed = seal_pdf(plain_pdf, org_a)
    check = verify_pdf(sealed, org_b)
    assert not check.valid and not check.trusted
    assert check.intact
    assert f"not sealed by {org_b.name}" in check.summary


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "not a PDF"),
        (b"garbage \x00\x01 bytes", "not a PDF"),
        (b"%PDF-1.7\n garbage that is no PDF", "could not"),
    ],
)
def test_garbage_never_raises(org_a, data, words):
    check = verify_pdf(data, org_a)
    assert not check.valid
    assert words in check.summary


def test_unsealed_pdf_is_invalid(org_a, plain_pdf):
    check = verify_pdf(plain_pdf, org_a)
    assert not check.valid
    assert "not sealed" in check.summary


def test_content_appended_after_sealing_is_invalid(org_a, plain_pdf):
    sealed = seal_pdf(plain_pdf, org_a)
    writer = IncrementalPdfFileWriter(BytesIO(sealed), strict=False)
    writer.root["/Lang"] = generic.TextStringObject("fr")  # a later, unsigned revision
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    check = verify_pdf(out.getvalue(), org_a)
    assert not check.valid
    assert "modified after sealing" in check.summary


def test_uploaded_pkcs12_becomes_current_and_seals(org_a, owner_a, plain_pdf):
    old = signing_key_for(org_a)
    data, cert = _pkcs12("Northwind LOA seal")
    key = import_pkcs12(org_a, data, b"s3cret", by=owner_a)
    assert key.source == KeySource.UPLOADED and key.is_current
    assert key.fingerprint == cert.fingerprint(hashes.SHA256()).hex()
    old.refresh_from_db()
    assert not old.is_current
    assert signing_key_for(org_a).pk == key.pk
    assert key.history.first().history_user == owner_a
    check = verify_pdf(seal_pdf(plain_pdf, org_a), org_a)
    assert check.valid, check.summary
    assert check.signer_fingerprint == key.fingerprint


def test_pkcs12_without_password(org_a):
    data, _cert = _pkcs12("No password", password=None)
    assert import_pkcs12(org_a, data, None, by=None).is_current


@pytest.mark.parametrize("case", ["garbage", "wrong_password", "expired", "empty", "cert_only"])
def test_bad_pkcs12_is_refused(org_a, case):
    signing_key_for(org_a)
    if case == "garbage":
        data, password = b"\x30\x82 not a pkcs12 at all", b"x"
    elif case == "wrong_password":
        data, password = _pkcs12("X")[0], b"wrong"
    elif case == "expired":
        data, password = _pkcs12("X", days=-1)[0], b"s3cret"
    elif case == "cert_only":
        cert = _pkcs12("X")[1]
        data = pkcs12.serialize_key_and_certificates(
            b"x", None, cert, None, serialization.NoEncryption()
        )
        password = None
    else:
        data, password = b"", None
    with pytest.raises(ValidationError):
        import_pkcs12(org_a, data, password, by=None)
    assert OrganizationSigningKey.objects.filter(organization=org_a).count() == 1
    assert signing_key_for(org_a).source == KeySource.SELF_SIGNED


def test_rotation_keeps_older_documents_verifiable(org_a, org_b, plain_pdf):
    sealed_before = seal_pdf(plain_pdf, org_a)
    import_pkcs12(org_a, _pkcs12("Rotated seal")[0], b"s3cret", by=None)
    sealed_after = seal_pdf(plain_pdf, org_a)
    before, after = verify_pdf(sealed_before, org_a), verify_pdf(sealed_after, org_a)
    assert before.valid and after.valid
    assert before.signer_fingerprint != after.signer_fingerprint
    assert not verify_pdf(sealed_before, org_b).valid
    assert OrganizationSigningKey.objects.filter(organization=org_a, is_current=True).count() == 1


def _staff(user):
    user.is_staff = True
    user.save()
    return user


def test_owner_uploads_pkcs12_in_admin_password_never_shown(client, owner_a, org_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import login

    login(client, _staff(owner_a))
    old = signing_key_for(owner_a.memberships.get().organization)
    data, cert = _pkcs12("Admin upload", password=b"hunter2-p12")
    page = client.get("/admin/esign/organizationsigningkey/add/").content.decode()
    assert "Northwind" in page and org_b.name not in page  # only orgs they own
    response = client.post(
        "/admin/esign/organizationsigningkey/add/",
        {
            "for_organization": old.organization_id,
            "pkcs12_file": SimpleUploadedFile("seal.p12", data),
            "password": "hunter2-p12",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    key = OrganizationSigningKey.objects.get(organization=old.organization, is_current=True)
    assert key.fingerprint == cert.fingerprint(hashes.SHA256()).hex()
    detail = client.get(f"/admin/esign/organizationsigningkey/{key.pk}/change/").content.decode()
    assert key.fingerprint in detail
    assert "hunter2" not in detail and "PRIVATE KEY" not in detail
    bad = client.post(
        "/admin/esign/organizationsigningkey/add/",
        {
            "for_organization": old.organization_id,
            "pkcs12_file": SimpleUploadedFile("x.p12", b"garbage"),
            "password": "hunter2-p12",
        },
    )
    assert bad.status_code == 200 and "Could not open the PKCS#12" in bad.content.decode()
    assert "hunter2" not in bad.content.decode()


def test_project_manager_cannot_see_seal_keys(client, pm_a, org_a):
    from .conftest import login

    signing_key_for(org_a)
    login(client, _staff(pm_a))
    assert client.get("/admin/esign/organizationsigningkey/").status_code == 403


def test_expired_current_key_is_rotated_and_old_seals_still_verify(org_a, plain_pdf):
    old = signing_key_for(org_a)
    sealed = seal_pdf(plain_pdf, org_a)
    OrganizationSigningKey.objects.filter(pk=old.pk).update(
        not_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    new = signing_key_for(org_a)
    assert new.pk != old.pk and new.is_current
    old.refresh_from_db()
    assert not old.is_current
    assert verify_pdf(sealed, org_a).valid


def test_verify_works_inside_a_running_event_loop(org_a, monkeypatch):
    """Async callers (and Playwright's sync API) have a loop running; pyHanko's sync
    validation would fail there, so verify_pdf moves it to a thread."""
    import asyncio
    from types import SimpleNamespace

    from documents.render import render_pdf
    from esign import seal
    from esign.models import OrganizationSigningKey

    sealed = seal.seal_pdf(render_pdf("<p>loop</p>"), org_a)
    # The test database's connection is not reachable from a new event loop's context;
    # hand the keys over (the loop handling, not the ORM, is under test).
    keys = list(OrganizationSigningKey.objects.filter(organization=org_a))
    monkeypatch.setattr(
        seal, "OrganizationSigningKey",
        SimpleNamespace(objects=SimpleNamespace(filter=lambda **kwargs: keys)),
    )  # fmt: skip

    async def check():
        return seal.verify_pdf(sealed, org_a)

    assert asyncio.run(check()).valid
