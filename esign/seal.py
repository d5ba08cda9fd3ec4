"""PAdES seals on an organization's documents, and their verification.

Every organization seals with its own key (`OrganizationSigningKey`): a self-signed
certificate created on first use, or a PKCS#12 the organization uploaded. Verification
trusts exactly that organization's certificates (current and retired) and nothing else;
it never touches the network (no timestamp server, OCSP or CRL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tenancy import clock
from tenancy.history import stamp
from tenancy.models import Organization

from .models import KeySource, OrganizationSigningKey

logger = logging.getLogger(__name__)

SELF_SIGNED_VALIDITY = dt.timedelta(days=5 * 365)
# A current key this close to expiry is replaced before sealing with it.
EXPIRY_MARGIN = dt.timedelta(days=1)
PKCS12_MAX_BYTES = 64 * 1024
# id-kp-documentSigning (RFC 9336).
DOCUMENT_SIGNING_OID = getattr(
    ExtendedKeyUsageOID, "DOCUMENT_SIGNING", x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
)


# --- keys ----------------------------------------------------------------------------


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _key_row(organization, cert, private_key, source, chain=()) -> OrganizationSigningKey:
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_pem += "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return OrganizationSigningKey(
        organization=organization,
        certificate_pem=cert_pem,
        private_key_pem=key_pem,
        source=source,
        subject=cert.subject.rfc4514_string()[:500],
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=_fingerprint(cert),
        is_current=True,
    )


def _self_signed(organization) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organization.name} document seal"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization.name[:64]),
        ]
    )
    now = clock.now().replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + SELF_SIGNED_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING_OID]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def signing_key_for(organization) -> OrganizationSigningKey:
    """The organization's current seal key; a self-signed one is created on first use
    (and when the current certificate has expired).

    Race-safe: the organization row is locked while looking, and the partial unique
    constraint "one current key per organization" catches databases without row locks.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                Organization.objects.select_for_update().filter(pk=organization.pk).first()
                key = OrganizationSigningKey.objects.filter(
                    organization=organization, is_current=True
                ).first()
                reason = "Self-signed document seal created on first use"
                if key is not None:
                    if key.not_after > clock.now() + EXPIRY_MARGIN:
                        return key
                    # An expired certificate makes invalid seals: retire it (kept for
                    # verifying older documents) and start a fresh self-signed one.
                    logger.warning("Seal key %s of %s expired; rotating", key.pk, organization)
                    key.is_current = False
                    stamp(key, reason="Expired: replaced by a new self-signed seal")
                    key.save(update_fields=["is_current"])
                    reason = "Self-signed document seal replacing an expired one"
                cert, private_key = _self_signed(organization)
                key = _key_row(organization, cert, private_key, KeySource.SELF_SIGNED)
                stamp(key, reason=reason)
                key.save()
                return key
        except IntegrityError:
            continue  # another request created it first: read theirs
    return OrganizationSigningKey.objects.get(organization=organization, is_current=True)


def load_pkcs12(data: bytes, password: bytes | str | None):
    """Open and check a PKCS#12 archive; return (private key, certificate, chain).

    Refuses archives that cannot be opened, lack a key or certificate, hold a key that
    is neither RSA nor EC or does not match the certificate, or whose certificate is
    expired or not yet valid.
    """
    if isinstance(password, str):
        password = password.encode()
    if not data or len(data) > PKCS12_MAX_BYTES:
        raise ValidationError("The PKCS#12 file is empty or larger than 64 KB.")
    try:
        private_key, cert, extra = pkcs12.load_key_and_certificates(bytes(data), password or None)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            "Could not open the PKCS#12 file: it is not a PKCS#12 archive, or the "
            "password is wrong."
        ) from exc
    if private_key is None or cert is None:
        raise ValidationError("The PKCS#12 file must contain both a private key and a certificate.")
    if not isinstance(private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValidationError("Only RSA and EC keys can seal documents.")
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if private_key.public_key().public_bytes(enc, pub) != cert.public_key().public_bytes(enc, pub):
        raise ValidationError("The private key does not belong to the certificate.")
    now = clock.now()
    if cert.not_valid_after_utc <= now:
        raise ValidationError(f"The certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}.")
    if cert.not_valid_before_utc > now:
        raise ValidationError(
            f"The certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}."
        )
    return private_key, cert, list(extra or ())


def import_pkcs12(organization, data: bytes, password: bytes | str | None, *, by=None):
    """Store an uploaded PKCS#12 as the organization's current seal key.

    Checks it with `load_pkcs12` (ValidationError when unusable). The previous key
    stays, no longer current, so documents sealed with it still verify.
    """
    private_key, cert, extra = load_pkcs12(data, password)
    fingerprint = _fingerprint(cert)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        existing = OrganizationSigningKey.objects.filter(
            organization=organization, fingerprint=fingerprint
        ).first()
        for old in OrganizationSigningKey.objects.filter(
            organization=organization, is_current=True
        ).exclude(fingerprint=fingerprint):
            old.is_current = False
            stamp(old, by=by, reason="Replaced by an uploaded PKCS#12")
            old.save(update_fields=["is_current"])
        if existing is not None:
            if not existing.is_current:
                existing.is_current = True
                stamp(existing, by=by, reason="Uploaded again: current once more")
                existing.save(update_fields=["is_current"])
            return existing
        key = _key_row(organization, cert, private_key, KeySource.UPLOADED, chain=extra)
        stamp(key, by=by, reason="PKCS#12 uploaded")
        key.save()
        return key


def _certs(key: OrganizationSigningKey) -> list[asn1_x509.Certificate]:
    """The key's certificate first, then any chain stored with it."""
    certs = x509.load_pem_x509_certificates(key.certificate_pem.encode())
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


# --- sealing ---------------------------------------------------------------------------


def seal_pdf(
    pdf_bytes: bytes,
    organization,
    *,
    reason: str = "Signed Letter of Authorization",
    location: str = "",
    field_name: str = "OrgSeal",
) -> bytes:
    """Add a PAdES (ETSI.CAdES.detached, SHA-256) signature by the organization's key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = signing_key_for(organization)
    certs = _certs(key)
    private_key = serialization.load_pem_private_key(key.private_key_pem.encode(), None)
    pkcs8 = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=certs[0],
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs(certs),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=f"{organization.name} document seal",
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


# --- verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class SealCheck:
    valid: bool
    intact: bool
    trusted: bool
    signer_fingerprint: str = ""
    signed_at: dt.datetime | None = None
    summary: str = ""

    def __bool__(self):
        return self.valid


def _invalid(summary, **kwargs) -> SealCheck:
    return SealCheck(
        valid=False, intact=kwargs.pop("intact", False), trusted=False, summary=summary, **kwargs
    )


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def verify_pdf(pdf_bytes: bytes, organization) -> SealCheck:
    """Check every signature in the PDF against the organization's own certificates.

    Valid means: at least one signature; each is cryptographically intact; each chains
    to a certificate of this organization; and nothing was added after the last one.
    Never raises for bad input; the summary says what is wrong in plain words.
    """
    try:
        # The keys are read here, in the caller's thread and transaction.
        org_keys = list(OrganizationSigningKey.objects.filter(organization=organization))
        if _loop_running():
            # pyHanko's synchronous validation calls asyncio.run(), which cannot run
            # inside a running event loop: do it in a worker thread instead.
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(_verify, pdf_bytes, organization, org_keys).result()
        return _verify(pdf_bytes, organization, org_keys)
    except Exception:  # a hostile file must give an answer, not a 500
        logger.info("Seal verification failed on unreadable input", exc_info=True)
        return _invalid("The file could not be read as a sealed PDF.")


def _verify(pdf_bytes, organization, org_keys) -> SealCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not pdf_bytes or not bytes(pdf_bytes[:1024]).lstrip().startswith(b"%PDF"):
        return _invalid("The file is not a PDF.")
    try:
        reader = PdfFileReader(BytesIO(bytes(pdf_bytes)), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:
        return _invalid("The file is damaged: it could not be read as a PDF.")
    if not signatures:
        return _invalid("The document is not sealed.")

    roots = [c for key in org_keys for c in _certs(key)[:1]]
    fingerprints = {key.fingerprint for key in org_keys}

    last = None
    for index, sig in enumerate(signatures):
        is_last = index == len(signatures) - 1
        try:
            # Validate at the signer's stated time so documents sealed with a key that
            # has since expired still verify (only the org's own keys are trusted).
            moment = sig.self_reported_timestamp
        except Exception:
            moment = None
        context = ValidationContext(
            trust_roots=roots,
            allow_fetching=False,
            revocation_mode="soft-fail",
            moment=moment,
        )
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context)
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            logger.info("Seal validation error: %s", exc)
            return _invalid("The seal is damaged: the document was modified after sealing.")
        fingerprint = hashlib.sha256(status.signing_cert.dump()).hexdigest()
        signed_at = status.signer_reported_dt
        intact = bool(status.intact and status.valid)
        trusted = bool(status.trusted) and fingerprint in fingerprints
        details = {"signer_fingerprint": fingerprint, "signed_at": signed_at}
        if not intact:
            return _invalid("Invalid: the document was modified after sealing.", **details)
        if not trusted:
            return _invalid(
                f"Invalid: the document was not sealed by {organization.name}.",
                intact=True,
                **details,
            )
        covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        if not status.bottom_line or (is_last and not covers_all):
            return SealCheck(
                valid=False,
                intact=True,
                trusted=True,
                summary="Invalid: the document was modified after sealing.",
                **details,
            )
        last = details

    signed_at = last["signed_at"]
    when = f" on {signed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if signed_at else ""
    return SealCheck(
        valid=True,
        intact=True,
        trusted=True,
        summary=f"Valid: sealed by {organization.name}{when}; unchanged since.",
        **last,
    )
