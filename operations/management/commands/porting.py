"""manage.py porting: the port-order tracker for a shell or a script.

A thin shell: every write goes through porting.services (which hold every rule and name
the one that refuses) and every read through porting.selectors / the planner / the LOA
check, exactly as the browser and the API do. The command parses options, picks the
port order, and prints. Exit status 0 on success, 1 (CommandError) on a refusal, a
conflict (someone else changed the order at the same moment; with --json,
`"conflict": true`), a usage error, or a blocker found by --action validate.
Operator's manual: docs/cli.md, section "porting"."""

import json
import re
import uuid
from datetime import date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.urls import reverse

import rowsecurity
from customers.models import Migration
from cutover.steps.selectors import port_day_checklist
from esign.models import SigningRequest
from esign.services import send_signing_request
from operations.porting_carriers import CarrierActions
from porting.models import (
    TEST_CALLS_REQUIRED,
    CarrierAccount,
    PortOrder,
)
from porting.numbers import display, e164, parse_nanp
from porting.selectors import (
    carrier_accounts_named,
    migration_plan,
    numbers_in_migration,
    open_orders,
    porting_board,
    winning_carriers,
)
from porting.services import (
    acknowledge_warnings,
    available_transitions,
    change_foc,
    create_port_order,
    refusal,
    transition_order,
)
from porting.zones import site_zones
from tenancy import clock
from tenancy.models import Membership
from tenancy.portal import portal_base_url
from tenancy.rules import TransitionConflict, TransitionRefused, as_conflict

ACTIONS = (
    "create", "status", "update", "send-loa", "checklist", "validate", "plan",
    "submit", "sync", "csr",
)  # fmt: skip
WRITES = ("create", "update", "send-loa", "submit", "sync", "csr")
State = PortOrder.State

# --stage <state> → the transition that leads there (from the order's current state).
STAGE_TRANSITIONS = {
    State.LOA_SUBMITTED: "submit_loa",
    State.FOC_RECEIVED: "record_foc",  # "reschedule" from port_failed
    State.PORT_DAY: "start_port_day",
    State.COMPLETE: "complete",
    State.REJECTED: "reject",
    State.CANCELLED: "cancel",
    State.PORT_FAILED: "fail_port",
    State.LOA_PENDING: "reopen",
}

DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso(value):
    return value.isoformat() if value is not None else None


def _zone(name):
    return ZoneInfo(name or "UTC")


def _local(moment, zone_name):
    """'2026-06-15 00:00 CDT (America/Chicago)'."""
    if moment is None:
        return ""
    zone_name = zone_name or "UTC"
    return f"{moment.astimezone(_zone(zone_name)):%Y-%m-%d %H:%M %Z} ({zone_name})"


def _order_number(raw):
    text = str(raw).strip().lstrip("#")
    if not text.isdigit():
        raise CommandError(f"--order {raw!r} is not a port order ID (a number, e.g. 12).")
    return int(text)


class Command(CarrierActions, BaseCommand):
    help = (
        "Track a migration's port orders: create an order, show status, advance a stage, "
        "email the LOA to the customer for signature, print the port-day checklist, check "
        "LOAs against the CSR, and plan the go-live from the FOC timeline. Every rule is the "
        "same as in the browser; a refusal names its rule. "
        "Manual: docs/cli.md#porting."
    )

    def add_arguments(self, parser):
        parser.add_argument("--action", required=True, choices=ACTIONS)
        parser.add_argument(
            "--migration-id", required=True, help="The migration's UUID (on its page)."
        )
        parser.add_argument(
            "--numbers",
            help='create: comma-separated numbers in any US format, e.g. "415-555-0100,'
            "(415) 555-0101\"; each must be in the migration's inventory.",
        )
        parser.add_argument(
            "--carrier",
            help="create: the losing carrier, matched case-insensitively to the migration's "
            'carrier accounts, e.g. "Spectrum Business".',
        )
        parser.add_argument(
            "--account", help="create: the account number, when the carrier has several."
        )
        parser.add_argument(
            "--winning-carrier",
            help='create: the UCaaS platform, e.g. "Zoom Phone" (default: the one named on '
            "the migration's other orders).",
        )
        parser.add_argument(
            "--requested-date", help="create: the port date asked of the carrier, YYYY-MM-DD."
        )
        parser.add_argument(
            "--stage",
            choices=[s.value for s in State],
            help="update: the state to move the order to.",
        )
        parser.add_argument(
            "--foc-date",
            help="update: the FOC, YYYY-MM-DD or YYYY-MM-DDTHH:MM in the carrier's local time "
            "(see --foc-timezone). A date alone means 00:00 that day, or, when an FOC is "
            "already on record, that FOC's time of day.",
        )
        parser.add_argument(
            "--foc-timezone",
            help="update: IANA time zone of --foc-date, e.g. America/Chicago (default: the "
            "order's FOC time zone, else its sites' time zone).",
        )
        parser.add_argument("--confirmation", help="update: the carrier's FOC confirmation number.")
        parser.add_argument(
            "--order",
            help="The port order ID; required for update and send-loa when the migration has "
            "several open orders.",
        )
        parser.add_argument(
            "--email",
            help="send-loa: the authorized person's email; the signing link goes there only.",
        )
        parser.add_argument(
            "--reason",
            default="",
            help="Recorded in history; required to cancel and to move an FOC.",
        )
        parser.add_argument("--code", help="update --stage rejected: the carrier's reject code.")
        parser.add_argument("--text", help="update --stage rejected: the carrier's own words.")
        parser.add_argument(
            "--override",
            metavar="REASON",
            help="update --stage complete: an owner completes although the test-call or "
            "48-hour rule refuses; the reason is recorded on the order.",
        )
        parser.add_argument(
            "--acknowledge-warnings",
            action="store_true",
            help="update --stage loa_submitted: acknowledge the LOA check's warnings (read "
            "them first with --action validate).",
        )
        parser.add_argument(
            "--user",
            help="The acting user (a member of the migration's organization), recorded in "
            "history. Required for create, update and send-loa.",
        )
        parser.add_argument(
            "--connection",
            help="csr: the carrier connection (its name or id; default: the organization's "
            "only active one). submit and sync use the order's own connection.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON on stdout.")

    # -- plumbing ------------------------------------------------------------------------

    def handle(self, *args, **options):
        # One migration's organization, and no other's (rowsecurity): the migration is
        # found past the policies by its ID alone, then the command works inside it. An
        # unknown or malformed ID enters no organization, and is reported as before.
        organization_id = rowsecurity.organization_of(Migration, uuid=options["migration_id"])
        with rowsecurity.organization(organization_id):
            return self._handle(*args, **options)

    def _handle(self, *args, **options):
        self.options = options
        self.now = clock.now()
        self.migration = migration = self._migration(options["migration_id"])
        self.user = self.membership = None
        if options["user"]:
            self.user, self.membership = self._user(options["user"], migration)
        elif options["action"] in WRITES:
            self._fail(
                f"--action {options['action']} changes data: give --user <username> (recorded "
                "in history)."
            )
        try:
            getattr(self, f"_{options['action'].replace('-', '_')}")(migration)
        except CommandError:
            raise
        except Exception as exc:
            # Someone else changed the order at the same moment (the services lock the
            # row; a lost race is a conflict, never a traceback): exit 1, nothing changed.
            conflict = as_conflict(exc)
            if conflict is None:
                raise
            self._fail(f"Conflict: {conflict}", conflict=True)

    def _fail(self, message, **extra):
        """Exit 1 with `message`; with --json, a JSON report on stdout first."""
        if self.options.get("json"):
            payload = {"ok": False, "error": message, **extra}
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
        raise CommandError(message)

    def _emit(self, payload, lines):
        if self.options["json"]:
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            for line in lines:
                self.stdout.write(line)

    def _migration(self, value):
        try:
            key = uuid.UUID(str(value))
        except ValueError:
            self._fail(f"--migration-id {value!r} is not a UUID.")
        try:
            return Migration.objects.select_related("organization", "customer").get(uuid=key)
        except Migration.DoesNotExist:
            self._fail(f"No migration with ID {value}.")

    def _user(self, username, migration):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username}, is_active=True)
        except User.DoesNotExist:
            self._fail(f"No active user {username!r}.")
        membership = Membership.objects.filter(
            user=user, organization=migration.organization
        ).first()
        if membership is None:
            # The CLI runs with full database access: this guards against mistakes.
            self._fail(
                f"{username} is not a member of {migration.organization.name}, which this "
                "migration belongs to."
            )
        return user, membership

    def _migration_dict(self):
        m = self.migration
        return {
            "id": str(m.uuid),
            "name": m.name,
            "customer": m.customer.legal_name,
            "organization": m.organization.slug,
            "target_start": _iso(m.target_start),
        }

    def _header(self):
        m = self.migration
        return f"{m.name} · {m.customer.legal_name} · migration {m.uuid}"

    def _order(self, raw):
        pk = _order_number(raw)
        order = (
            PortOrder.objects.select_related("carrier_account", "migration")
            .filter(migration=self.migration, pk=pk)
            .first()
        )
        if order is None:
            self._fail(f"No port order #{pk} in this migration. {self._orders_hint()}")
        return order

    def _orders_hint(self, states=None):
        orders = PortOrder.objects.filter(migration=self.migration).select_related(
            "carrier_account"
        )
        if states:
            orders = orders.filter(state__in=states)
        listed = "; ".join(f"#{o.pk} {o.carrier_account} ({o.state})" for o in orders)
        return f"Its orders: {listed}." if listed else "It has no port orders."

    def _order_dict(self, order, numbers=None):
        account = order.carrier_account
        numbers = list(order.numbers.all()) if numbers is None else numbers
        return {
            "id": order.pk,
            "carrier": account.carrier_name,
            "account_number": account.account_number,
            "carrier_type": account.carrier_type,
            "winning_carrier": order.winning_carrier,
            "state": order.state,
            "state_label": order.get_state_display(),
            "state_changed_at": _iso(order.state_changed_at),
            "numbers": [str(n.number) for n in numbers],
            "foc_at": _iso(order.foc_at),
            "foc_local": _local(order.foc_at, order.foc_timezone) or None,
            "foc_timezone": order.foc_timezone or None,
            "foc_confirmation_number": order.foc_confirmation_number or None,
            "requested_date": _iso(order.requested_date),
            "loa_submitted_at": _iso(order.loa_submitted_at),
            "ported_at": _iso(order.ported_at),
            "completed_at": _iso(order.completed_at),
            "parent": order.parent_id,
            "url": order.get_absolute_url(),
        }

    def _title(self, order):
        return f"Port order #{order.pk} · {order.carrier_account}"

    def _refused(self, exc, order):
        message = f"Refused by rule {exc.rule}: {exc.message}"
        hint = self._rule_hint(exc.rule, order)
        self._fail(
            f"{message} {hint}".strip(),
            order=order.pk,
            refused={"rule": exc.rule, "message": exc.message, "hint": hint or None},
        )

    def _rule_hint(self, rule, order):
        page = order.get_absolute_url()
        return {
            "signed_current_loa": f"Prepare the LOA and send it for signature on {page}; "
            "the authorized person signs through the link emailed to them.",
            "no_loa_blockers": "See them with --action validate; fix them on "
            f"{page} and have the new version signed.",
            "loa_warnings_acknowledged": "Read them with --action validate, then repeat with "
            "--acknowledge-warnings.",
            "foc_time_recorded": "Give --foc-date (and --foc-timezone, --confirmation).",
            "rejection_details": 'Give --code <reject code> and --text "<carrier\'s words>".',
            "cancel_reason": 'Give --reason "...".',
            "corrected_loa_prepared": f"Prepare a corrected LOA version on {page}.",
            "post_port_tests_passed": "Record the test calls on the order page; an owner may "
            'override with --override "reason".',
            "port_back_window_closed": 'An owner may override with --override "reason".',
        }.get(rule, "")

    # -- create --------------------------------------------------------------------------

    def _create(self, migration):
        o = self.options
        if not o["numbers"] or not o["carrier"]:
            self._fail(
                '--action create needs --numbers "415-555-0100,415-555-0101" and --carrier '
                '"<losing carrier>".'
            )
        numbers = self._numbers(o["numbers"])
        account = self._account(o["carrier"], o["account"])
        winning, reused = self._winning_carrier()
        requested = None
        if o["requested_date"]:
            try:
                requested = date.fromisoformat(o["requested_date"].strip())
            except ValueError:
                self._fail(f"--requested-date {o['requested_date']!r}: use YYYY-MM-DD.")
        try:
            order = create_port_order(
                account,
                numbers,
                winning_carrier=winning,
                requested_date=requested,
                by=self.user,
                reason=o["reason"],
            )
        except TransitionRefused as exc:
            self._fail(f"Refused by rule {exc.rule}: {exc.message}", refused={"rule": exc.rule})
        except ValidationError as exc:
            self._fail("Port order not created: " + " ".join(exc.messages), problems=exc.messages)
        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "order": self._order_dict(order),
        }
        shown = ", ".join(display(str(n.number)) for n in numbers)
        lines = [
            self.style.SUCCESS(
                f"Created port order #{order.pk}: status {order.state}. "
                f"{account.carrier_name} account {account.account_number}, "
                f"{len(numbers)} number{'s' if len(numbers) != 1 else ''} ({shown}), "
                f"winning carrier {winning}{' (as on the other orders)' if reused else ''}."
            ),
            f"Next: prepare the LOA from the CSR and send it for signature on "
            f"{order.get_absolute_url()}; check it with --action validate; then "
            f"--action update --order {order.pk} --stage loa_submitted.",
        ]
        self._emit(payload, lines)

    def _numbers(self, text):
        wanted, bad = {}, []
        for part in (p.strip() for p in re.split(r"[,;\n]", text)):
            if not part:
                continue
            try:
                wanted.setdefault(e164(parse_nanp(part)), part)
            except ValidationError as exc:
                bad.append(" ".join(exc.messages))
        if bad:
            self._fail("--numbers: " + " ".join(bad))
        if not wanted:
            self._fail("--numbers is empty.")
        found = numbers_in_migration(self.migration, wanted)
        missing = [display(e) for e in wanted if e not in found]
        if missing:
            self._fail(
                f"Not in this migration's inventory: {', '.join(missing)}. Add them first "
                "(python manage.py import_inventory --numbers <csv>, or the migration's "
                "Numbers page).",
                missing=missing,
            )
        return [found[e] for e in wanted]

    def _account(self, carrier, account_number):
        matches = carrier_accounts_named(self.migration, carrier, account_number or "")
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = "; ".join(f"{a.account_number} (BTN {display(str(a.btn))})" for a in matches)
            self._fail(
                f"{matches[0].carrier_name} has {len(matches)} accounts in this migration: "
                f"{listed}. One port order per account: say which with --account "
                "<account number>.",
                accounts=[a.account_number for a in matches],
            )
        known = CarrierAccount.objects.filter(migration=self.migration)
        wanted = f"{carrier}" + (f" account {account_number}" if account_number else "")
        listed = "; ".join(f"{a.carrier_name} {a.account_number}" for a in known)
        add_url = reverse(
            "carrier-account-create", args=[self.migration.organization.slug, self.migration.uuid]
        )
        self._fail(
            f"No {wanted} in this migration's carrier accounts"
            + (f" (it has: {listed})" if listed else " (it has none yet)")
            + ". Add the account on the migration's Carrier accounts page, "
            f"{add_url}: carrier name and type, account number and BTN from the latest "
            "invoice, and the CSR. Then run this again."
        )

    def _winning_carrier(self):
        given = (self.options["winning_carrier"] or "").strip()
        if given:
            return given, False
        used = winning_carriers(self.migration)
        if len(used) == 1:
            return used.pop(), True
        named = f" (its orders name {', '.join(sorted(used))})" if used else ""
        self._fail(
            '--winning-carrier "<UCaaS platform>" is needed, e.g. "Zoom Phone": the migration '
            f"has no single winning carrier on its orders yet{named}."
        )

    # -- send-loa ------------------------------------------------------------------------

    def _send_loa(self, migration):
        """Email the current LOA version to the authorized person for signature: the same
        service as the order page and the API. The link is in that email only; it is
        never printed (nor stored: the database keeps its hash)."""

        o = self.options
        email = (o["email"] or "").strip()
        if not email:
            self._fail("--action send-loa needs --email <the authorized person's address>.")
        try:
            validate_email(email)
        except ValidationError:
            self._fail(f"--email {email!r} is not an email address.")
        base_url = self._public_base_url()
        order = self._order(o["order"]) if o["order"] else self._only_open_order()
        page = order.get_absolute_url()
        loa = order.current_loa()
        if loa is None:
            self._fail(
                f"Port order #{order.pk} has no LOA yet: prepare it from the CSR on {page}, "
                "then send it.",
                order=order.pk,
            )
        live = list(
            SigningRequest.objects.filter(
                loa__port_order=order, revoked_at=None, used_at=None
            ).values_list("pk", flat=True)
        )
        try:
            request = send_signing_request(
                loa, email=email, by=self.user, base_url=base_url,
                meta={"ip": None, "user_agent": "manage.py porting --action send-loa"},
            )  # fmt: skip
        except TransitionRefused as exc:
            self._refused(exc, order)
        except ValidationError as exc:
            self._fail(
                f"LOA version {loa.version} not sent: {' '.join(exc.messages)} Check it with "
                f"--action validate --order {order.pk}; prepare a new version on {page}.",
                order=order.pk,
                problems=exc.messages,
            )
        except OSError as exc:  # the mail server refused: nothing was recorded
            self._fail(
                f"The email to {email} could not be sent ({exc}); nothing was recorded.",
                order=order.pk,
            )
        replaced = [pk for pk in live if pk != request.pk]
        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "order": self._order_dict(order),
            "signing_request": {
                "id": request.pk,
                "loa_version": loa.version,
                "email": request.email,
                "state": request.link_state(),
                "created_at": _iso(request.created_at),
                "expires_at": _iso(request.expires_at),
            },
            "replaced_links": replaced,
        }
        lines = [
            self._title(order),
            self.style.SUCCESS(
                f"LOA version {loa.version} sent to {request.email} for signature (signing "
                f"request #{request.pk}). The link works until "
                f"{request.expires_at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC."
            ),
        ]
        if replaced:
            lines.append(
                "Earlier links of this order no longer work: "
                + ", ".join(f"#{pk}" for pk in replaced)
                + "."
            )
        lines.append(
            "Next: the authorized person signs through the link emailed to them (its state is "
            f"on {page}); then --action update --order {order.pk} --stage loa_submitted."
        )
        self._emit(payload, lines)

    def _public_base_url(self):
        """The site's public address, which the emailed link starts with (there is no
        request to take it from on the command line)."""

        base_url = portal_base_url().strip()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self._fail(
                f"PUBLIC_BASE_URL {base_url!r} is not the site's address (e.g. "
                "https://voip.example.com): the signing link is built from it."
            )
        return base_url

    # -- update --------------------------------------------------------------------------

    def _update(self, migration):
        o = self.options
        order = self._order(o["order"]) if o["order"] else self._only_open_order()
        stage = o["stage"]
        if stage is None and not o["foc_date"]:
            self._fail("Give --stage <state> (or --foc-date with --reason to move the FOC).")
        if stage is None or (stage == State.FOC_RECEIVED and order.state == State.FOC_RECEIVED):
            return self._move_foc(order)

        name = STAGE_TRANSITIONS[stage]
        if stage == State.FOC_RECEIVED and order.state == State.PORT_FAILED:
            name = "reschedule"
        self._check_option_fit(name)
        context, note = {}, None
        if name in ("record_foc", "reschedule"):
            if o["foc_date"]:
                context["foc_at"], context["foc_timezone"], note = self._foc(
                    order, keep_time_of=order.foc_at
                )
            if o["confirmation"]:
                context["confirmation_number"] = o["confirmation"].strip()
        elif name == "reject":
            context.update(code=(o["code"] or "").strip(), carrier_text=(o["text"] or "").strip())
        elif name == "cancel":
            context["cancel_reason"] = o["reason"]
        elif name == "complete" and o["override"]:
            context["override_reason"] = o["override"].strip()

        acknowledged = None
        if o["acknowledge_warnings"]:
            refused = refusal(order, name, by=self.user)
            if refused and refused.rule != "loa_warnings_acknowledged":
                self._refused(refused, order)  # nothing acknowledged when it would not submit
            acknowledged = acknowledge_warnings(
                order, by=self.user, reason=o["reason"] or "warnings acknowledged (command line)"
            )

        previous = order.state
        try:
            order = transition_order(
                order, name, by=self.user, reason=o["reason"], expected_state=previous, **context
            )
        except TransitionRefused as exc:
            self._refused(exc, order)
        except TransitionConflict as exc:
            self._fail(f"Conflict: {exc}", order=order.pk, conflict=True)
        except ValidationError as exc:
            self._fail(" ".join(exc.messages), order=order.pk)

        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "transition": name,
            "previous_state": previous,
            "state": order.state,
            "foc_note": note,
            "acknowledged_warnings": acknowledged,
            "order": self._order_dict(order),
        }
        lines = [self._title(order)]
        if acknowledged:
            lines.append(f"Warnings acknowledged: {', '.join(acknowledged)}.")
        lines.append(self.style.SUCCESS(f"Status changes to {order.state} (was {previous})."))
        if order.foc_at and name in ("record_foc", "reschedule", "start_port_day"):
            confirmation = order.foc_confirmation_number
            lines.append(
                f"FOC: {_local(order.foc_at, order.foc_timezone)}"
                + (f", confirmation {confirmation}" if confirmation else ", no confirmation number")
                + "."
            )
        if note:
            lines.append(note)
        lines += self._after_lines(order, name)
        self._emit(payload, lines)

    def _check_option_fit(self, name):
        o = self.options
        misplaced = [
            flag
            for flag, value, fits in (
                ("--foc-date", o["foc_date"], ("record_foc", "reschedule")),
                ("--foc-timezone", o["foc_timezone"], ("record_foc", "reschedule")),
                ("--confirmation", o["confirmation"], ("record_foc", "reschedule")),
                ("--code", o["code"], ("reject",)),
                ("--text", o["text"], ("reject",)),
                ("--override", o["override"], ("complete",)),
                ("--acknowledge-warnings", o["acknowledge_warnings"], ("submit_loa",)),
            )
            if value and name not in fits
        ]
        if misplaced:
            self._fail(
                f"{', '.join(misplaced)} {'does' if len(misplaced) == 1 else 'do'} not apply to "
                f"--stage {self.options['stage']}."
            )

    def _after_lines(self, order, name):
        if name == "submit_loa":
            return [
                "Next: the winning carrier's porting team acknowledges within 1-2 business "
                "days; when the carrier confirms, --stage foc_received --foc-date ..."
            ]
        if name in ("record_foc", "reschedule"):
            return [
                "Call the winning carrier's porting team to confirm the FOC date and time "
                "verbally. Port-day checklist: --action checklist."
            ]
        if name == "reject":
            return [
                "Fix only the rejected field. A reject code naming an LOA field has already "
                "made a new version from the CSR (correct the CSR first if the carrier's "
                "record differs); have it signed, then --stage loa_pending (and resubmit)."
            ]
        if name == "fail_port":
            return [
                "Call the winning carrier's porting NOC now; keep the old system running. The "
                "migration's owner is emailed."
            ]
        if name == "complete" and order.override_reason:
            return [f"Completed with an owner override: {order.override_reason}"]
        if name == "start_port_day":
            return [
                f"Record {TEST_CALLS_REQUIRED} external test calls per number on the order page; "
                "keep the old trunk live 48 hours (emergency port-back window)."
            ]
        return []

    def _only_open_order(self):
        orders = open_orders(self.migration)
        if len(orders) == 1:
            return orders[0]
        if not orders:
            self._fail(
                "This migration has no open port order. "
                + self._orders_hint()
                + " Create one with --action create."
            )
        listed = "; ".join(f"#{o.pk} {o.carrier_account} ({o.state})" for o in orders)
        self._fail(
            f"This migration has {len(orders)} open port orders: say which with --order <id> "
            f"({listed}).",
            open_orders=[o.pk for o in orders],
        )

    def _move_foc(self, order):
        """The carrier moved the FOC (a supplemental order): porting.services.change_foc."""
        o = self.options
        if not o["foc_date"]:
            self._fail(
                f"Port order #{order.pk} is already {order.state}. To record a new FOC give "
                '--foc-date and --reason "<carrier\'s words>".'
            )
        for flag in ("code", "text", "override", "acknowledge_warnings"):
            if o[flag]:
                self._fail(f"--{flag.replace('_', '-')} does not apply to an FOC change.")
        new_foc, zone_name, note = self._foc(order, keep_time_of=order.foc_at)
        previous = order.foc_at
        try:
            order = change_foc(
                order,
                new_foc_at=new_foc,
                reason=o["reason"],
                by=self.user,
                confirmation_number=(o["confirmation"] or "").strip(),
            )
        except TransitionRefused as exc:
            self._fail(f"Refused by rule {exc.rule}: {exc.message}", refused={"rule": exc.rule})
        except ValidationError as exc:
            hint = "" if o["reason"].strip() else ' Give --reason "...".'
            self._fail(
                f"Port order #{order.pk} is {order.state}: --foc-date records a new FOC. "
                + " ".join(exc.messages)
                + hint,
                order=order.pk,
            )
        shown_zone = order.foc_timezone or zone_name
        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "transition": "change_foc",
            "previous_state": order.state,
            "state": order.state,
            "previous_foc_at": _iso(previous),
            "foc_note": note,
            "acknowledged_warnings": None,
            "order": self._order_dict(order),
        }
        confirmation = order.foc_confirmation_number
        lines = [
            self._title(order),
            self.style.SUCCESS(
                f"FOC changes from {_local(previous, shown_zone) or 'none'} to "
                f"{_local(order.foc_at, shown_zone)}: {o['reason']}"
            ),
            f"Status stays {order.state}"
            + (f"; confirmation {confirmation}." if confirmation else "."),
        ]
        if note:
            lines.append(note)
        if order.foc_timezone and zone_name != order.foc_timezone:
            lines.append(
                f"Note: --foc-date was read in {zone_name}; the order keeps its FOC time zone "
                f"{order.foc_timezone} (same moment, shown in that zone)."
            )
        lines.append(
            "Tell the customer and adjust the go-live date; everything scheduled from the FOC "
            "moves with it (--action checklist, --action plan)."
        )
        self._emit(payload, lines)

    def _foc_zone(self, order):
        """(IANA name, where it came from) for reading --foc-date."""
        given = (self.options["foc_timezone"] or "").strip()
        if given:
            try:
                ZoneInfo(given)
            except (ZoneInfoNotFoundError, ValueError):
                self._fail(f"--foc-timezone {given!r} is not an IANA time zone (America/Chicago).")
            return given, "--foc-timezone"
        if order.foc_timezone:
            return order.foc_timezone, "the order's FOC time zone"
        sites, where = site_zones(order)
        if len(sites) == 1:
            zone_name, site_name = next(iter(sites.items()))
            return zone_name, f"site {site_name} ({where})"
        found = f" (its sites are in {', '.join(sorted(sites))})" if sites else ""
        self._fail(
            f"Say which time zone the carrier's FOC is in: --foc-timezone <IANA name, e.g. "
            f"America/Chicago>{found}."
        )

    def _foc(self, order, *, keep_time_of=None):
        """(aware FOC, IANA zone name, note or None) from --foc-date.

        A date alone: the time of day of `keep_time_of` (the FOC on record: a slip or a
        reschedule keeps the carrier's time), else 00:00, the start of the committed day,
        in the zone; the note says so and how to record the carrier's time."""
        raw = self.options["foc_date"].strip()
        zone_name, source = self._foc_zone(order)
        zone = ZoneInfo(zone_name)
        note = None
        if DATE_ONLY.fullmatch(raw):
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                self._fail(f"--foc-date {raw!r} is not a date.")
            if keep_time_of is not None:
                at = keep_time_of.astimezone(zone).time().replace(tzinfo=None)
                why = "kept the time of day of the FOC on record"
            else:
                at = time(0, 0)
                why = "recorded as 00:00, the start of that day"
            value = datetime.combine(day, at, tzinfo=zone)
            note = (
                f"Note: --foc-date gave no time, so the FOC is {value:%Y-%m-%d %H:%M} "
                f"{zone_name} ({why}; time zone from {source}). When the carrier confirms the "
                f'time, record it: --foc-date {raw}THH:MM --reason "carrier confirmed the time".'
            )
        else:
            try:
                value = datetime.fromisoformat(raw)
            except ValueError:
                self._fail(
                    f"--foc-date {raw!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (the carrier's "
                    "local time)."
                )
            if value.tzinfo is None:
                value = value.replace(tzinfo=zone)
        return value, zone_name, note

    # -- status --------------------------------------------------------------------------

    def _status(self, migration):
        board = porting_board(migration, now=self.now)
        orders, plan = board["orders"], board["plan"]
        plans = {p.key: p for p in plan.orders}
        blocking = {p.key for p in plan.blocking_orders}
        follow_ups = board.get("follow_ups", [])
        rows, lines = [], [self._header(), ""]
        if not orders:
            lines.append("No port orders yet: create one per carrier account with --action create.")
        for order in orders:
            numbers = list(order.numbers.all())
            order_plan = plans.get(str(order.pk))
            transitions = None
            if self.user is not None and order.is_open:
                transitions = [
                    {"name": name, "label": label, "refused": refused}
                    for name, label, refused in available_transitions(order, by=self.user)
                ]
            rows.append(
                {
                    **self._order_dict(order, numbers),
                    "days_in_stage": order.days_in_stage,
                    "plan": self._order_plan_dict(order_plan) if order_plan else None,
                    "blocks_cutover": str(order.pk) in blocking,
                    "transitions": transitions,
                }
            )
            lines += self._status_lines(order, numbers, order_plan, transitions)
        lines.append("")
        lines += self._readiness_lines(plan, orders)
        for flag in follow_ups:
            lines.append(self.style.WARNING(f"Follow-up: {flag.message}"))
        payload = {
            "migration": self._migration_dict(),
            "orders": rows,
            "earliest_cutover": _iso(plan.earliest_cutover),
            "ready_for_cutover": plan.ready_for_cutover,
            "blocking_orders": [int(p.key) for p in plan.blocking_orders],
            "readiness": self._readiness_text(plan, orders),
            "follow_ups": [
                {"order": flag.order.pk, "kind": str(flag.kind), "message": flag.message}
                for flag in follow_ups
            ],
            "warnings": plan.warnings,
        }
        self._emit(payload, lines)

    def _status_lines(self, order, numbers, order_plan, transitions):
        days, account = order.days_in_stage, order.carrier_account
        lines = [
            f"#{order.pk}  {account.carrier_name} {account.account_number}"
            f"  {order.state}  {days} day{'s' if days != 1 else ''} in stage"
            f"  → {order.winning_carrier}",
            f"    numbers ({len(numbers)}): {', '.join(n.display for n in numbers) or 'none'}",
        ]
        if order.foc_at:
            confirmation = order.foc_confirmation_number
            lines.append(
                f"    FOC: {_local(order.foc_at, order.foc_timezone)}"
                + (f", confirmation {confirmation}" if confirmation else ", no confirmation number")
            )
        else:
            lines.append("    FOC: not received")
        if order_plan:
            lines.append(f"    planner: {self._plan_phrase(order_plan)}")
        for row in transitions or []:
            why = f" (refused: {row['refused']})" if row["refused"] else ""
            lines.append(f"    next: {row['label']}{why}")
        return lines

    def _readiness_text(self, plan, orders):
        if not orders:
            return "Not ready for cutover: no port orders yet."
        if plan.ready_for_cutover:
            return (
                "Ready for cutover: every port order has a confirmed FOC (foc_received or later)."
            )
        by_key = {str(o.pk): o for o in orders}
        listed = "; ".join(
            f"#{p.key} {by_key[p.key].carrier_account.carrier_name} ({by_key[p.key].state}, "
            "no FOC yet)"
            for p in plan.blocking_orders
        )
        return (
            "Not ready for cutover until all port orders show foc_received and all FOC dates "
            f"are confirmed. Blocking: {listed}."
        )

    def _readiness_lines(self, plan, orders):
        lines = []
        if plan.earliest_cutover:
            kind = "confirmed" if plan.ready_for_cutover else "estimate"
            lines.append(f"Earliest cutover: {plan.earliest_cutover} ({kind}).")
        text = self._readiness_text(plan, orders)
        style = self.style.SUCCESS if plan.ready_for_cutover else self.style.WARNING
        lines.append(style(text))
        return lines

    # -- plan ----------------------------------------------------------------------------

    def _order_plan_dict(self, p):
        return {
            "order": int(p.key),
            "label": p.label,
            "carrier_type": p.carrier_type,
            "carrier_type_label": p.carrier_type_label,
            "interval_business_days": list(p.interval),
            "start": _iso(p.start),
            "loa_submitted": p.loa_submitted,
            "estimated_foc": _iso(p.estimated_foc),
            "foc": _iso(p.foc),
            "confirmed": p.confirmed,
            "overdue": p.overdue,
            "explanation": p.explanation,
        }

    def _plan_phrase(self, p):
        if p.confirmed:
            return f"FOC confirmed {p.foc} (estimate from the FOC interval was {p.estimated_foc})"
        started = "LOA submitted" if p.loa_submitted else "LOA not submitted, counted from"
        text = (
            f"earliest FOC {p.foc} (estimate: {p.interval[1]} business days, {started} {p.start})"
        )
        return text + (", overdue: chase the carrier" if p.overdue else "")

    def _plan(self, migration):
        plan = migration_plan(migration)
        payload = {
            "migration": self._migration_dict(),
            "today": _iso(plan.today),
            "requested_go_live": _iso(plan.requested_go_live),
            "earliest_cutover": _iso(plan.earliest_cutover),
            "latest_foc": _iso(plan.latest_foc),
            "stagger_days": plan.stagger_days,
            "ready_for_cutover": plan.ready_for_cutover,
            "blocking_orders": [int(p.key) for p in plan.blocking_orders],
            "driving_orders": [int(p.key) for p in plan.driving_orders],
            "orders": [self._order_plan_dict(p) for p in plan.orders],
            "warnings": plan.warnings,
            "explanation": plan.explanation,
        }
        lines = [self._header(), f"Planned on {plan.today} (business days skip weekends and "
                 "US federal holidays).", ""]  # fmt: skip
        for p in plan.orders:
            lines.append(f"{p.label} ({p.carrier_type_label}): {self._plan_phrase(p)}")
        if plan.orders:
            lines.append("")
        if plan.earliest_cutover:
            lines.append(f"Earliest cutover: {plan.earliest_cutover}.")
        if plan.requested_go_live:
            lines.append(f"Requested go-live (target start): {plan.requested_go_live}.")
        lines.append(plan.explanation)
        for warning in plan.warnings:
            lines.append(self.style.WARNING(f"warning: {warning}"))
        self._emit(payload, lines)

    # -- validate ------------------------------------------------------------------------

    def _validate(self, migration):
        if self.options["order"]:
            orders = [self._order(self.options["order"])]
        else:
            orders = open_orders(migration)
        rows, lines = [], [self._header(), ""]
        blockers_total, missing_loa = 0, []
        for order in orders:
            loa = order.current_loa()
            findings = sorted(order.loa_findings(), key=lambda f: f.severity != "blocker")
            acknowledged = set((loa.acknowledged_warnings if loa else None) or [])
            blockers = [f for f in findings if f.severity == "blocker"]
            blockers_total += len(blockers)
            if loa is None:
                missing_loa.append(order.pk)
            rows.append(
                {
                    "order": order.pk,
                    "carrier": order.carrier_account.carrier_name,
                    "account_number": order.carrier_account.account_number,
                    "state": order.state,
                    "loa_version": loa.version if loa else None,
                    "loa_status": loa.status if loa else None,
                    "blockers": len(blockers),
                    "warnings": len(findings) - len(blockers),
                    "findings": [
                        {
                            "code": f.code,
                            "field": f.field,
                            "loa_value": f.loa_value,
                            "csr_value": f.csr_value,
                            "severity": f.severity,
                            "reject_reason": f.reject_reason,
                            "fix": f.fix,
                            "acknowledged": f.severity == "warning" and f.code in acknowledged,
                        }
                        for f in findings
                    ],
                }
            )
            lines += self._validate_lines(order, loa, findings, acknowledged)
        if not orders:
            lines.append("No open port orders to check.")
        ok = not blockers_total and not missing_loa
        summary = (
            f"LOA check: {blockers_total} blocker(s)"
            + (f"; no LOA yet on #{', #'.join(map(str, missing_loa))}" if missing_loa else "")
            + "."
        )
        payload = {"ok": ok, "migration": self._migration_dict(), "orders": rows}
        if self.options["json"]:
            self._emit(payload, [])
        else:
            lines.append(self.style.SUCCESS(summary) if ok else self.style.ERROR(summary))
            self._emit(payload, lines)
        if not ok:
            raise CommandError(summary)

    def _validate_lines(self, order, loa, findings, acknowledged):
        head = f"#{order.pk} {order.carrier_account}  {order.state}"
        if loa is None:
            return [
                head + "  no LOA yet",
                f"    prepare one from the CSR on {order.get_absolute_url()}",
                "",
            ]
        lines = [head + f"  LOA version {loa.version} ({loa.status})"]
        if not findings:
            lines.append("    no findings: the LOA matches the CSR")
        for f in findings:
            mark = " (acknowledged)" if f.severity == "warning" and f.code in acknowledged else ""
            severity = f.severity.upper() if f.severity == "blocker" else f.severity
            lines += [
                f"    {severity} {f.code} · {f.field}{mark}",
                f'        LOA "{f.loa_value}"  CSR "{f.csr_value}"',
                f"        carrier would reject: {f.reject_reason}",
                f"        fix: {f.fix}",
            ]
        lines.append("")
        return lines

    # -- checklist -----------------------------------------------------------------------

    def _checklist(self, migration):
        board = porting_board(migration, now=self.now)
        plan = board["plan"]
        plans = {p.key: p for p in plan.orders}
        orders = [o for o in board["orders"] if o.state != State.CANCELLED]
        if self.options["order"]:
            wanted = self._order(self.options["order"]).pk
            orders = [o for o in orders if o.pk == wanted]
        rows = []
        lines = [
            f"Port-day checklist · {self._header()}",
            f"now {self.now:%Y-%m-%d %H:%M} UTC",
            *self._readiness_lines(plan, board["orders"]),
            "",
        ]
        for order in orders:
            row, order_lines = self._order_checklist(order, plans.get(str(order.pk)))
            rows.append(row)
            lines += order_lines
        if not orders:
            lines.append("No port orders yet.")
        lines.append(
            "Off-hours windows only; forward each ported number to the old system for 24 hours "
            "after the snap. Never cancel the old service before the port completes."
        )
        payload = {
            "migration": self._migration_dict(),
            "now": _iso(self.now),
            "earliest_cutover": _iso(plan.earliest_cutover),
            "ready_for_cutover": plan.ready_for_cutover,
            "readiness": self._readiness_text(plan, board["orders"]),
            "orders": rows,
        }
        self._emit(payload, lines)

    def _order_checklist(self, order, order_plan):
        row = {
            "order": order.pk,
            "carrier": order.carrier_account.carrier_name,
            "account_number": order.carrier_account.account_number,
            "state": order.state,
            "foc_at": _iso(order.foc_at),
            "foc_local": _local(order.foc_at, order.foc_timezone) or None,
            "foc_timezone": order.foc_timezone or None,
            "planned_foc": _iso(order_plan.foc) if order_plan else None,
            "items": [],
        }
        head = f"#{order.pk} {order.carrier_account}  {order.state}"
        if not order.foc_at:
            estimate = f"; planner's earliest FOC {order_plan.foc}" if order_plan else ""
            return row, [
                f"{head}  no FOC yet: the checklist starts from the carrier's FOC{estimate}.",
                "",
            ]
        lines = [f"{head}  FOC {_local(order.foc_at, order.foc_timezone)}"]
        for entry in port_day_checklist(order, now=self.now):
            when = entry.pop("when")
            item = {**entry, "at": _iso(when), "at_local": f"{when:%Y-%m-%d %H:%M %Z}"}
            row["items"].append(item)
            label, what, status, detail = (
                item["offset"],
                item["what"],
                item["status"],
                item["detail"],
            )
            lines.append(f"  {status:<10} {item['at_local']:<20} {label:<19} {what}")
            if detail:
                lines.append(f"  {'':<10} {'':<20} {'':<19} {detail}")
        lines.append("")
        return row, lines
