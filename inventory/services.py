"""Inventory import: sites, endpoints and telephone numbers from CSV into one migration.

All or nothing. Every row of every file is validated first and every problem is reported
as (file, spreadsheet row, column, value, message); if there is one, nothing is written.
Otherwise everything is written in one transaction with bulk inserts that still write
history rows (actor and reason). The browser upload page and `manage.py import_inventory`
both call `import_inventory()`.

Validation does not query per row: existing sites and endpoints of the migration are read
once, MAC addresses and numbers already in the organization are looked up by the values
in the files, in chunks of up to ~1,000 (one query for most imports)."""

import re
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.views.decorators.debug import sensitive_variables

from customers.models import Migration
from customers.states import US_STATES
from porting.models import PhoneNumber
from porting.numbers import checked, display, e164
from sites.models import Endpoint, Site
from sites.validators import normalize_mac, valid_timezones, validate_extension
from tenancy import freshness
from tenancy.history import bulk_create_with_reason
from tenancy.models import Membership
from tenancy.roles import DEFAULT_WRITE_ROLES

from .formats import FORMATS, KINDS, MASK, Secret, parse_csv

MAX_REPORTED_ERRORS = 1000
DEFAULT_REASON = "Inventory import from CSV"
CLOSED_STATUSES = (Migration.Status.COMPLETED, Migration.Status.CANCELLED)


# --- the report -----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    file: str  # "sites", "endpoints", "numbers"; "" for the import as a whole
    row: int | None  # as a spreadsheet shows it: the header is row 1
    column: str
    value: str
    message: str

    def as_dict(self):
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }

    def as_line(self) -> str:
        where = [self.file or "import"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class ImportReport:
    migration_uuid: str
    files: tuple[str, ...] = ()
    dry_run: bool = False
    committed: bool = False
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors_total == 0

    @property
    def errors_omitted(self) -> int:
        return self.errors_total - len(self.errors)

    def add_error(self, file, row, column, value, message):
        self.errors_total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(file, row, column, _shown(file, column, value), message))

    def add_warning(self, file, row, column, value, message):
        if len(self.warnings) < MAX_REPORTED_ERRORS:
            self.warnings.append(RowError(file, row, column, _shown(file, column, value), message))

    def sort(self):
        def key(e):
            order = KINDS.index(e.file) if e.file in KINDS else -1
            names = FORMATS[e.file].column_names if e.file in FORMATS else ()
            col = names.index(e.column) if e.column in names else -1
            return (order, e.row or 0, col)

        self.errors.sort(key=key)
        self.warnings.sort(key=key)

    def counts_text(self, counts=None) -> str:
        counts = counts or self.created
        parts = [f"{counts[k]} {_noun(k, counts[k])}" for k in KINDS]
        return f"{parts[0]}, {parts[1]} and {parts[2]}"

    def summary(self) -> str:
        if not self.ok:
            more = f" ({self.errors_omitted} not listed)" if self.errors_omitted else ""
            return (
                f"Nothing was imported: {self.errors_total} "
                f"{'error' if self.errors_total == 1 else 'errors'}{more}."
            )
        if self.dry_run:
            return f"Dry run: no errors; would import {self.counts_text(self.rows)}."
        return f"Imported {self.counts_text()}."

    def as_dict(self):
        return {
            "ok": self.ok,
            "migration": self.migration_uuid,
            "files": list(self.files),
            "dry_run": self.dry_run,
            "committed": self.committed,
            "rows": dict(self.rows),
            "created": dict(self.created),
            "errors_total": self.errors_total,
            "errors_omitted": self.errors_omitted,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "summary": self.summary(),
        }


def _noun(kind, n):
    singular = {"sites": "site", "endpoints": "endpoint", "numbers": "number"}[kind]
    return singular if n == 1 else kind


def _shown(file, column, value) -> str:
    """The value as the report may show it: secrets masked, long values cut."""
    fmt = FORMATS.get(file)
    col = fmt.column(column) if fmt else None
    if isinstance(value, Secret) or (col is not None and col.secret):
        return MASK if value else ""
    text = "" if value is None else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


# --- permissions ----------------------------------------------------------------------


def can_import(user, organization) -> bool:
    """Importing creates sites and numbers: owners and project managers only."""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, organization=organization, role__in=DEFAULT_WRITE_ROLES
    ).exists()


# --- cell parsing ---------------------------------------------------------------------


class CellError(Exception):
    pass


_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_INT = re.compile(r"^\+?\d+$")
_BOOLEANS = {"yes": True, "y": True, "true": True, "1": True,
             "no": False, "n": False, "false": False, "0": False}  # fmt: skip
_MAX_INT = 2_147_483_647


def _max_length(model, name):
    return model._meta.get_field(name).max_length


def _choice_map(choices):
    mapping = {}
    for value, label in choices:
        for alias in (value, label, value.replace("_", " "), value.replace("_", "-")):
            mapping[alias.casefold()] = value
    return mapping


# The choices once (an enum's `.choices` builds its list again on every use: per row).
ENDPOINT_KIND_CHOICES = Endpoint.Kind.choices
NUMBER_PURPOSE_CHOICES = PhoneNumber.Purpose.choices
ENDPOINT_KINDS = _choice_map(ENDPOINT_KIND_CHOICES)
ENDPOINT_KINDS.update({"ata": Endpoint.Kind.ATA, "dect": Endpoint.Kind.DECT})
NUMBER_PURPOSES = _choice_map(NUMBER_PURPOSE_CHOICES)


def _timezones():
    return {name.casefold(): name for name in valid_timezones()}


def _text(value, *, required=False, max_length=None):
    if not value:
        if required:
            raise CellError("Required: this cell is empty.")
        return ""
    if max_length and len(value) > max_length:
        raise CellError(f"Too long: {len(value)} characters; at most {max_length}.")
    return value


def _choice(value, mapping, default, choices):
    if not value:
        return default
    try:
        return mapping[value.casefold()]
    except KeyError:
        allowed = ", ".join(v for v, _ in choices)
        raise CellError(f"“{value}” is not one of: {allowed}.") from None


def _boolean(value):
    if not value:
        return False
    try:
        return _BOOLEANS[value.casefold()]
    except KeyError:
        raise CellError(f"“{value}” is not yes/no (also true/false, 1/0).") from None


def _seat_count(value):
    if not value:
        return 0
    if not _INT.match(value) or int(value) > _MAX_INT:
        raise CellError(f"“{value}” is not a whole number ≥ 0 (e.g. 40).")
    return int(value)


def _state(value):
    code = _text(value, required=True).upper()
    if code not in US_STATES:
        raise CellError(f"“{value}” is not a USPS state code (e.g. TX).")
    return code


def _postal_code(value):
    value = _text(value, required=True)
    match = _ZIP.match(value)
    if not match:
        if re.fullmatch(r"\d{4}(-?\d{4})?", value):
            raise CellError(
                f"“{value}” has 4 digits before any dash: the spreadsheet probably dropped "
                f"a leading zero (0{value}?). Format the column as text."
            )
        raise CellError(f"“{value}” is not a ZIP code (5 digits or ZIP+4, e.g. 75201).")
    return f"{match[1]}-{match[2]}" if match[2] else match[1]


def _timezone(value, zones):
    value = _text(value, required=True)
    try:
        return zones[value.casefold()]
    except KeyError:
        raise CellError(f"“{value}” is not an IANA time zone (e.g. America/Chicago).") from None


def _mac(value):
    try:
        return normalize_mac(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None


def _extension(value):
    try:
        validate_extension(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return value


def _email(value):
    value = _text(value, max_length=_max_length(Endpoint, "user_email"))
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(f"“{value}” is not an email address.") from None
    return value


def _number(value):
    try:
        return checked(value)  # stored as it is: not validated again on insert
    except ValidationError as exc:
        message = exc.messages[0]
        if re.search(r"\d[.,]?\d*E\+\d+", value or "", re.IGNORECASE):
            message += (
                " It looks like a spreadsheet turned it into scientific notation: format "
                "the column as text and export again."
            )
        raise CellError(message) from None


def _chunks(items, size):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _chunk_size():
    limit = connection.features.max_query_params or 2000
    return max(100, min(2000, limit - 50))


def _rows_text(first, second):
    return f"rows {first} and {second}" if first != second else f"row {first}"


# --- validation -----------------------------------------------------------------------


@dataclass
class _Plan:
    sites: list[Site] = field(default_factory=list)
    endpoints: list[dict] = field(default_factory=list)
    numbers: list[dict] = field(default_factory=list)


class _Validator:
    def __init__(self, migration, organization, report):
        self.migration = migration
        self.organization = organization
        self.report = report
        self.plan = _Plan()
        # Existing rows of this migration, read once (a migration has thousands at most).
        self.existing_sites = {
            name.casefold(): (pk, name)
            for pk, name in Site.objects.filter(migration=migration).values_list("pk", "name")
        }
        self.existing_extensions = {}
        for pk, ext, site_name in (
            Endpoint.objects.filter(migration=migration)
            .exclude(extension="")
            .values_list("pk", "extension", "site__name")
        ):
            self.existing_extensions[ext] = (pk, site_name.casefold(), site_name)
        self.unreadable = set()  # files with file-level problems: references not checked
        self.file_sites = {}  # casefold name -> first row, every row with a name
        self.file_extensions = {}  # extension -> (row, site key), every row with one

    def error(self, kind, row, column, value, message):
        self.report.add_error(kind, row, column, value, message)

    def migration_label(self, migration_id, name):
        return "this migration" if migration_id == self.migration.pk else f"migration “{name}”"

    def claim(self, kind, row, column, value, key, *, label, first_rows, taken, taken_message):
        """Record that `row` uses `key`; report a repeat within this file, or a clash with
        what is already stored (`taken`: key -> detail for `taken_message(detail)`).
        Returns True when the row may have the key. `label` may be a callable, called
        only for the message (formatting a number for it costs as much as checking it)."""
        first = first_rows.setdefault(key, row)
        if first != row:
            label = label() if callable(label) else label  # made only when it is needed
            self.error(
                kind, row, column, value, f"{label} is on {_rows_text(first, row)} of this file."
            )
            return False
        if key in taken:
            self.error(kind, row, column, value, taken_message(taken[key]))
            return False
        return True

    @sensitive_variables()
    def cells(self, kind, row, values, parsers):
        """Apply {column: parser} to a row; report each failure; None if any failed."""
        cleaned, ok = {}, True
        for column, parse in parsers.items():
            raw = values.get(column, "")
            try:
                cleaned[column] = parse(raw)
            except CellError as exc:
                ok = False
                self.error(kind, row, column, raw, str(exc))
        return cleaned if ok else None

    def site_key(self, kind, row, column, name):
        """Resolve a site name from this import or the migration; report if unknown."""
        if not name:
            return None
        key = name.casefold()
        if key in self.file_sites or key in self.existing_sites:
            return key
        if "sites" in self.unreadable:
            return False  # the sites file could not be read: do not pile errors on it
        self.error(
            kind,
            row,
            column,
            name,
            f"No site named “{name}” in this import or in the migration. Add it to the sites file.",
        )
        return False

    # sites ---------------------------------------------------------------------------

    @sensitive_variables()
    def sites(self, parsed):
        zones = _timezones()
        parsers = {
            "name": lambda v: _text(v, required=True, max_length=_max_length(Site, "name")),
            "address_line1": lambda v: _text(
                v, required=True, max_length=_max_length(Site, "address_line1")
            ),
            "address_line2": lambda v: _text(v, max_length=_max_length(Site, "address_line2")),
            "city": lambda v: _text(v, required=True, max_length=_max_length(Site, "city")),
            "state": _state,
            "postal_code": _postal_code,
            "timezone": lambda v: _timezone(v, zones),
            "seat_count": _seat_count,
        }
        for row, values in parsed.rows:
            name = values.get("name", "")
            duplicate = False
            if name:
                duplicate = not self.claim(
                    "sites",
                    row,
                    "name",
                    name,
                    name.casefold(),
                    label=f"Site “{name}”",
                    first_rows=self.file_sites,
                    taken=self.existing_sites,
                    taken_message=lambda existing: (
                        f"A site named “{existing[1]}” already exists in this migration."
                    ),
                )
            cleaned = self.cells("sites", row, values, parsers)
            if cleaned is None or duplicate:
                continue
            site = Site(
                organization=self.organization,
                customer_id=self.migration.customer_id,
                migration=self.migration,
                **cleaned,
            )
            site.apply_normalization()  # what Site.save() does; bulk_create skips save()
            if site.normalization_error:
                # The parser's message embeds the whole address and can exceed the column.
                limit = _max_length(Site, "normalization_error")
                site.normalization_error = site.normalization_error[:limit]
                reason = site.normalization_error.split(":")[0].strip().capitalize()
                self.report.add_warning(
                    "sites",
                    row,
                    "address_line1",
                    cleaned["address_line1"],
                    f"The address could not be USPS-normalized ({reason}); it is stored as "
                    "entered and flagged “not normalized”.",
                )
            self.plan.sites.append(site)

    # endpoints -----------------------------------------------------------------------

    @sensitive_variables()
    def endpoints(self, parsed):
        parsers = {
            "site": lambda v: _text(v, required=True),
            "kind": lambda v: _choice(
                v, ENDPOINT_KINDS, Endpoint.Kind.DESK_PHONE, ENDPOINT_KIND_CHOICES
            ),
            "mac_address": _mac,
            "make": lambda v: _text(v, max_length=_max_length(Endpoint, "make")),
            "model": lambda v: _text(v, max_length=_max_length(Endpoint, "model")),
            "firmware": lambda v: _text(v, max_length=_max_length(Endpoint, "firmware")),
            "extension": _extension,
            "display_name": lambda v: _text(v, max_length=_max_length(Endpoint, "display_name")),
            "user_email": _email,
            "remote_worker": _boolean,
            "sip_username": lambda v: _text(v, max_length=_max_length(Endpoint, "sip_username")),
            "sip_password": lambda v: v if isinstance(v, Secret) else Secret(v or ""),
        }
        candidates = []  # (row, raw values, cleaned or None)
        macs = set()
        for row, values in parsed.rows:
            cleaned = self.cells("endpoints", row, values, parsers)
            extension = values.get("extension", "")
            if extension:
                self.file_extensions.setdefault(extension, (row, values.get("site", "").casefold()))
            if cleaned and cleaned["mac_address"]:
                macs.add(cleaned["mac_address"])
            candidates.append((row, values, cleaned))

        # MACs are unique per organization: look up only the ones in this file.
        taken_macs = {}
        for chunk in _chunks(sorted(macs), _chunk_size()):
            taken_macs.update(
                (mac, (migration_id, name))
                for mac, migration_id, name in Endpoint.objects.for_org(self.organization)
                .filter(mac_address__in=chunk)
                .values_list("mac_address", "migration_id", "migration__name")
            )

        first_mac, first_ext = {}, {}
        for row, values, cleaned in candidates:
            ok = cleaned is not None
            site_key = self.site_key("endpoints", row, "site", values.get("site", ""))
            ok = ok and bool(site_key)
            if cleaned and cleaned["mac_address"]:
                mac = cleaned["mac_address"]
                ok &= self.claim(
                    "endpoints",
                    row,
                    "mac_address",
                    values["mac_address"],
                    mac,
                    label=f"MAC address {mac}",
                    first_rows=first_mac,
                    taken=taken_macs,
                    taken_message=lambda used, mac=mac: (
                        f"MAC address {mac} is already used by an endpoint in "
                        f"{self.migration_label(*used)}; a MAC is unique within the organization."
                    ),
                )
            if cleaned and cleaned["extension"]:
                ext = cleaned["extension"]
                ok &= self.claim(
                    "endpoints",
                    row,
                    "extension",
                    ext,
                    ext,
                    label=f"Extension {ext}",
                    first_rows=first_ext,
                    taken=self.existing_extensions,
                    taken_message=lambda _used, ext=ext: (
                        f"Extension {ext} already exists in this migration."
                    ),
                )
            if ok:
                cleaned["site_key"] = site_key
                self.plan.endpoints.append(cleaned)

    # numbers -------------------------------------------------------------------------

    @sensitive_variables()
    def numbers(self, parsed):
        parsers = {
            "number": _number,
            "purpose": lambda v: _choice(
                v, NUMBER_PURPOSES, PhoneNumber.Purpose.USER_DID, NUMBER_PURPOSE_CHOICES
            ),
            "site": lambda v: v,
            "endpoint_extension": lambda v: v,
        }
        candidates, wanted = [], {}  # E.164 -> the checked number
        for row, values in parsed.rows:
            cleaned = self.cells("numbers", row, values, parsers)
            if cleaned:
                cleaned["e164"] = e164(cleaned["number"])
                wanted[cleaned["e164"]] = cleaned["number"]
            candidates.append((row, values, cleaned))

        taken = {}
        for chunk in _chunks(sorted(wanted), _chunk_size()):
            for number, migration_id, name in (
                PhoneNumber.objects.for_org(self.organization)
                .filter(number__in=[wanted[e164_text] for e164_text in chunk])
                .values_list("number", "migration_id", "migration__name")
            ):
                taken[number.as_e164] = (migration_id, name)

        first_number = {}
        for row, values, cleaned in candidates:
            ok = cleaned is not None
            site_name = values.get("site", "")
            site_key = self.site_key("numbers", row, "site", site_name)
            ok = ok and site_key is not False
            extension = values.get("endpoint_extension", "")
            endpoint_site = None
            if extension:
                if extension in self.file_extensions:
                    endpoint_site = self.file_extensions[extension][1]
                elif extension in self.existing_extensions:
                    endpoint_site = self.existing_extensions[extension][1]
                else:
                    ok = False
                    if "endpoints" not in self.unreadable:
                        self.error(
                            "numbers",
                            row,
                            "endpoint_extension",
                            extension,
                            f"No endpoint with extension {extension} in this import or in "
                            "the migration.",
                        )
            if site_key and endpoint_site and site_key != endpoint_site:
                ok = False
                self.error(
                    "numbers",
                    row,
                    "site",
                    site_name,
                    f"Extension {extension} is at site “{self._site_label(endpoint_site)}”, "
                    f"not “{site_name}”. Leave the site blank or make them agree.",
                )
            if cleaned:
                number = cleaned["e164"]
                ok &= self.claim(
                    "numbers",
                    row,
                    "number",
                    values["number"],
                    number,
                    label=lambda number=number: display(number),
                    first_rows=first_number,
                    taken=taken,
                    taken_message=lambda used, number=number: (
                        f"{display(number)} is already in {self.migration_label(*used)}; "
                        "a number is unique within the organization."
                    ),
                )
            if ok:
                cleaned["site_key"] = site_key or endpoint_site
                cleaned["extension"] = extension
                self.plan.numbers.append(cleaned)

    def _site_label(self, key):
        if key in self.existing_sites:
            return self.existing_sites[key][1]
        for site in self.plan.sites:
            if site.name.casefold() == key:
                return site.name
        return key


# --- writing --------------------------------------------------------------------------


@sensitive_variables()
def _write(validator, *, by, reason, report):
    if not connection.features.can_return_rows_from_bulk_insert:
        # simple_history's fallback re-selects rows by every field value, which cannot
        # match encrypted (non-deterministic) SIP passwords and does not scale.
        raise RuntimeError("Inventory import needs a database that returns bulk-insert ids.")
    migration, organization, plan = validator.migration, validator.organization, validator.plan

    sites = bulk_create_with_reason(Site, plan.sites, by=by, reason=reason)
    site_ids = {key: pk for key, (pk, _name) in validator.existing_sites.items()}
    site_ids.update((site.name.casefold(), site.pk) for site in sites)

    endpoint_objs = [
        Endpoint(
            organization=organization,
            migration=migration,
            site_id=site_ids[row["site_key"]],
            kind=row["kind"],
            mac_address=row["mac_address"],  # normalized when checked (_mac), as save() does
            make=row["make"],
            model=row["model"],
            firmware=row["firmware"],
            extension=row["extension"],
            display_name=row["display_name"],
            user_email=row["user_email"],
            is_remote_worker=row["remote_worker"],
            sip_username=row["sip_username"],
            sip_password=row["sip_password"].value,  # the field encrypts it on insert
        )
        for row in plan.endpoints
    ]
    endpoints = bulk_create_with_reason(Endpoint, endpoint_objs, by=by, reason=reason)
    endpoint_ids = {ext: pk for ext, (pk, _key, _name) in validator.existing_extensions.items()}
    endpoint_ids.update((e.extension, e.pk) for e in endpoints if e.extension)

    number_objs = []
    for row in plan.numbers:
        number = PhoneNumber(
            organization=organization,
            migration=migration,
            number=row["number"],  # checked: not validated again for the row or its history
            purpose=row["purpose"],
            site_id=site_ids[row["site_key"]] if row["site_key"] else None,
            endpoint_id=endpoint_ids[row["extension"]] if row["extension"] else None,
        )
        number.kind = number.detect_kind()  # what PhoneNumber.save() does
        number_objs.append(number)
    numbers = bulk_create_with_reason(PhoneNumber, number_objs, by=by, reason=reason)

    report.created = {"sites": len(sites), "endpoints": len(endpoints), "numbers": len(numbers)}


# --- the service ----------------------------------------------------------------------


@sensitive_variables()
def import_inventory(
    migration,
    *,
    sites=None,
    endpoints=None,
    numbers=None,
    by=None,
    reason: str = "",
    dry_run: bool = False,
) -> ImportReport:
    """Import any subset of the three CSV files into `migration`; all or nothing.

    Each file may be text, bytes, or a text/binary file-like object (an upload). Returns
    the report; `report.ok` tells whether it was accepted and `report.committed` whether
    anything was written (never on a dry run)."""
    sources = {"sites": sites, "endpoints": endpoints, "numbers": numbers}
    report = ImportReport(
        migration_uuid=str(migration.uuid),
        files=tuple(kind for kind in KINDS if sources[kind] is not None),
        dry_run=dry_run,
    )
    organization = migration.organization
    if by is not None and not can_import(by, organization):
        raise PermissionDenied("Only owners and project managers of the organization import.")
    if not report.files:
        report.add_error("", None, "", "", "No file to import: give sites, endpoints or numbers.")
        return report

    parsed = {}
    for kind in report.files:
        parsed[kind] = parse_csv(kind, sources[kind])
        for row, column, message in parsed[kind].problems:
            report.add_error(kind, row, column, "", message)
        for row, message in parsed[kind].broken_rows:
            report.add_error(kind, row, "", "", message)
        report.rows[kind] = len(parsed[kind].rows) + len(parsed[kind].broken_rows)

    try:
        with transaction.atomic():
            # One import at a time per migration: the duplicate checks below stay true
            # until the commit (SQLite serializes writers anyway).
            locked = Migration.objects.select_for_update().get(pk=migration.pk)
            if locked.status in CLOSED_STATUSES:
                status = locked.get_status_display().lower()
                report.add_error(
                    "", None, "", "", f"The migration is {status}: reopen it before importing."
                )
            validator = _Validator(locked, organization, report)
            validator.unreadable = {kind for kind, p in parsed.items() if p.problems}
            for kind in KINDS:
                if kind in parsed:
                    getattr(validator, kind)(parsed[kind])
            report.sort()
            if not report.ok or dry_run:
                return report
            _write(validator, by=by, reason=reason or DEFAULT_REASON, report=report)
            # Bulk inserts send no post_save: cached pages must still see the new rows.
            freshness.bump_after_change(organization.pk)
    except IntegrityError:
        # A concurrent change (another import, an edit) took a MAC or number between the
        # checks and the insert. Nothing was written.
        report.created = dict.fromkeys(KINDS, 0)
        report.add_error(
            "",
            None,
            "",
            "",
            "Another change to the organization's inventory "
            "conflicted with this import. Nothing was imported; run it again.",
        )
        return report
    report.committed = True
    return report
