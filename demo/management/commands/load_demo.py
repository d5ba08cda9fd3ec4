"""Demo data: an integrator, its people and one realistic 60-seat hybrid migration.

The customer is Bluebird Marketing (Denver: 35 seats in the office, 25 remote
workers on softphones, a phased rollout). The command is idempotent: each record is
looked up by its natural key and created only when missing, so running it twice adds
nothing; records it finds are left as they are. Every write goes through the models'
validation and save() with a history row ("demo data").

The demo users' password is set on every run and printed; pass --password (or set
DEMO_PASSWORD) to choose it. SIP passwords are random and never printed.

Telephone numbers are real-looking but made up, and valid NANP numbers (checked with
porting.numbers.parse_nanp); e-mail addresses use the reserved .example domain.
"""

import datetime
import os
import secrets
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

import rowsecurity
from customers.models import Customer, Migration
from e911.locations.services import assign_endpoint, create_location, set_registration
from e911.models import DispatchableLocation, RemoteWorker
from esign.services import issue_signing_link, open_request, sign
from porting.models import CarrierAccount, PhoneNumber, PortOrder
from porting.numbers import e164, parse_nanp
from porting.services import (
    acknowledge_warnings,
    create_port_order,
    prepare_loa,
    transition_order,
)
from sites.models import Endpoint, Site
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.models import Membership, Organization
from tenancy.roles import Role
from tenancy.services import save_org_object

REASON = "demo data"
# The demo customer signing from a documentation address (RFC 5737).
DEMO_SIGNER = {"ip": "192.0.2.10", "user_agent": "Demo signer (load_demo)"}
DEMO_ORG = ("Demo Integrator", "demo")
OTHER_ORG = ("Summit Voice Partners", "summit")

# (first, last) names for Bluebird's 60 people: 35 in the office, 25 remote.
PEOPLE = [
    ("Marcus", "Bluebird"), ("Elena", "Ruiz"), ("Dev", "Anand"), ("Harper", "Collins"),
    ("Owen", "Fitzgerald"), ("Priya", "Natarajan"), ("Jonah", "Weiss"), ("Camila", "Ortega"),
    ("Grace", "Kim"), ("Theo", "Lindqvist"), ("Aisha", "Bello"), ("Lucas", "Moreau"),
    ("Sofia", "Romano"), ("Miles", "Carter"), ("Noor", "Haddad"), ("Ethan", "Brooks"),
    ("Maya", "Patel"), ("Isaac", "Greene"), ("Lena", "Vogel"), ("Caleb", "Hughes"),
    ("Zoe", "Tanaka"), ("Samuel", "Okafor"), ("Ruby", "Sinclair"), ("Adrian", "Costa"),
    ("Hannah", "Meyer"), ("Mateo", "Silva"), ("Chloe", "Dubois"), ("Wyatt", "Morgan"),
    ("Leila", "Farahani"), ("Nathan", "Park"), ("Ivy", "Chen"), ("Gabriel", "Reyes"),
    ("Audrey", "Walsh"), ("Julian", "Hart"), ("Mila", "Novak"),
    # remote workers
    ("Ben", "Adler"), ("Clara", "Jensen"), ("Diego", "Alvarez"), ("Erin", "Doyle"),
    ("Felix", "Wagner"), ("Gemma", "Lowe"), ("Hugo", "Laurent"), ("Iris", "Bauer"),
    ("Jack", "Foster"), ("Kira", "Ivanova"), ("Liam", "Gallagher"), ("Mei", "Wong"),
    ("Nico", "Rossi"), ("Olivia", "Grant"), ("Pablo", "Mendez"), ("Quinn", "Harper"),
    ("Rosa", "Delgado"), ("Simon", "Berg"), ("Tara", "Quinn"), ("Umar", "Siddiqui"),
    ("Vera", "Holm"), ("Will", "Turner"), ("Xena", "Marsh"), ("Yusuf", "Kaya"),
    ("Zara", "Lopez"),
]  # fmt: skip

# Sites: name, address, city, state, ZIP, time zone, seats, desk phones (ext start, count).
SITES = [
    ("Denver HQ", "1600 Wynkoop Street", "Suite 300", "Denver", "CO", "80202",
     "America/Denver", 22, (101, 20)),
    ("Boulder Studio", "1942 Broadway", "Ste 210", "Boulder", "CO", "80302",
     "America/Denver", 9, (131, 9)),
    ("Scottsdale Client Office", "7150 E Camelback Road", "Suite 444", "Scottsdale", "AZ",
     "85251", "America/Phoenix", 4, (151, 4)),
]  # fmt: skip

# Losing carrier 1 (an ILEC account, the HQ's 303 block) and carrier 2 (a cable CLEC
# account, a 720 block for Boulder and the remote workers). Carriers arrive in a later
# issue; for now the numbers only carry their purpose.
HQ_BLOCK = "303-296-41{:02d}"
CLEC_BLOCK = "720-904-35{:02d}"
TOLL_FREE = "888-417-2600"


def _mac(oui: str, n: int) -> str:
    raw = f"{oui}{n:06X}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


def _number(text: str) -> str:
    return e164(parse_nanp(text))  # raises if a demo number is not valid NANP


class Command(BaseCommand):
    help = "Load demo data (idempotent): organizations, users and a 60-seat migration."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", ""),
            help="Password for the demo users (default: $DEMO_PASSWORD, else a new random one).",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="Where the app runs, printed with the login (e.g. http://127.0.0.1:8000).",
        )

    def handle(self, *args, **options):
        # The demo loader creates and fills several organizations (rowsecurity).
        with rowsecurity.all_organizations(reason="the demo loader fills every demo organization"):
            return self._handle(*args, **options)

    def _handle(self, *args, password="", base_url="", **options):
        password = password or secrets.token_urlsafe(9)
        if len(password) < 8:
            raise CommandError("The demo password must have at least 8 characters.")
        self.created = {}
        with transaction.atomic():
            demo_user, tech_user = self.load_users(password)
            demo_org = self.ensure_org(*DEMO_ORG, by=demo_user)
            other_org = self.ensure_org(*OTHER_ORG, by=demo_user)
            self.ensure_membership(demo_user, demo_org, Role.OWNER)
            self.ensure_membership(tech_user, demo_org, Role.TECHNICIAN)
            self.ensure_membership(demo_user, other_org, Role.PROJECT_MANAGER)
            migration = self.load_bluebird(demo_org, demo_user)
            self.load_patel(other_org, demo_user)
        self.report(migration, password, base_url)

    # -- helpers ------------------------------------------------------------------------

    def _count(self, model):
        key = model._meta.verbose_name_plural
        self.created[key] = self.created.get(key, 0) + 1

    def ensure(self, model, lookup: dict, build, *, organization, by):
        """The row matching `lookup`, or a new one from build() saved with history."""
        existing = model.objects.filter(organization=organization, **lookup).first()
        if existing is not None:
            return existing
        instance = save_org_object(build(), organization=organization, by=by, reason=REASON)
        self._count(model)
        return instance

    def load_users(self, password):
        User = get_user_model()
        users = []
        for username, first, last in (("demo", "Dana", "Demo"), ("tech", "Terry", "Tech")):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo-integrator.example",
                )
                self._count(User)
            user.set_password(password)
            user.save()
            users.append(user)
        return users

    def ensure_org(self, name, slug, *, by):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            org = save_with_history(Organization(name=name, slug=slug), by=by, reason=REASON)
            self._count(Organization)
        return org

    def ensure_membership(self, user, org, role):
        if not Membership.objects.filter(user=user, organization=org).exists():
            save_with_history(
                Membership(user=user, organization=org, role=role), by=user, reason=REASON
            )
            self._count(Membership)

    # -- Bluebird Marketing (Demo Integrator) ---------------------------------------------

    def load_bluebird(self, org, by):
        kw = {"organization": org, "by": by}
        customer = self.ensure(
            Customer,
            {"legal_name": "Bluebird Marketing LLC"},
            lambda: Customer(
                legal_name="Bluebird Marketing LLC",
                dba_name="Bluebird",
                main_contact_name="Marcus Bluebird",
                main_contact_email="marcus@bluebird-marketing.example",
                main_contact_phone="(303) 296-4100",
                operating_states=["CO", "AZ"],
            ),
            **kw,
        )
        start = clock.today() + datetime.timedelta(days=30)
        migration = self.ensure(
            Migration,
            {"customer": customer, "name": "Bluebird hosted voice (phased, 14 days)"},
            lambda: Migration(
                customer=customer,
                name="Bluebird hosted voice (phased, 14 days)",
                owner=by,
                target_start=start,
                target_end=start + datetime.timedelta(days=14),
            ),
            **kw,
        )
        sites = {}
        for name, line1, line2, city, state, zip_code, tz, seats, _phones in SITES:
            sites[name] = self.ensure(
                Site,
                {"migration": migration, "name": name},
                lambda n=name, l1=line1, l2=line2, c=city, s=state, z=zip_code, t=tz, k=seats: (
                    Site(migration=migration, customer=customer, name=n, address_line1=l1,
                         address_line2=l2, city=c, state=s, postal_code=z, timezone=t,
                         seat_count=k)
                ),
                **kw,
            )  # fmt: skip
        hq = sites["Denver HQ"]

        def endpoint(ext, site, **fields):
            return self.ensure(
                Endpoint,
                {"migration": migration, "extension": ext},
                lambda: Endpoint(
                    migration=migration,
                    site=site,
                    extension=ext,
                    sip_username=f"bluebird-{ext}",
                    sip_password=secrets.token_urlsafe(18),
                    **fields,
                ),
                **kw,
            )

        def person_fields(index):
            first, last = PEOPLE[index]
            return {
                "display_name": f"{first} {last}",
                "user_email": f"{first}.{last}@bluebird-marketing.example".lower(),
            }

        # 33 desk phones across the three sites, 2 DECT handsets at HQ: 35 in-office seats.
        desk, person = {}, 0
        for name, *_rest, (first_ext, count) in SITES:
            for i in range(count):
                ext = str(first_ext + i)
                desk[ext] = endpoint(
                    ext, sites[name], kind=Endpoint.Kind.DESK_PHONE,
                    mac_address=_mac("805EC0", 0x1A2000 + int(ext)),
                    make="Yealink", model="T54W", firmware="96.86.0.70",
                    **person_fields(person),
                )  # fmt: skip
                person += 1
        for ext in ("121", "122"):
            endpoint(ext, hq, kind=Endpoint.Kind.DECT, make="Yealink", model="W56H (base W70B)",
                     firmware="61.85.0.20", **person_fields(person))  # fmt: skip
            person += 1
        # 25 remote workers on softphones: each needs its own dispatchable location.
        remote = {}
        for i in range(25):
            ext = str(201 + i)
            remote[ext] = endpoint(ext, hq, kind=Endpoint.Kind.SOFTPHONE, make="Zoiper",
                                   model="Zoiper 5 (laptop)", is_remote_worker=True,
                                   **person_fields(person))  # fmt: skip
            person += 1
        # Shared devices at HQ.
        conference = endpoint("300", hq, kind=Endpoint.Kind.CONFERENCE,
                              mac_address=_mac("64167F", 0x0C0300), make="Poly",
                              model="Trio 8800", firmware="7.2.4",
                              display_name="Big conference room")  # fmt: skip
        fax = endpoint("310", hq, kind=Endpoint.Kind.FAX, mac_address=_mac("000B82", 0xFA0310),
                       make="Grandstream", model="HT802 (fax ATA)", firmware="1.0.53.4",
                       display_name="Front-desk fax")  # fmt: skip
        endpoint("320", hq, kind=Endpoint.Kind.PAGING, mac_address=_mac("0022EE", 0x0A0320),
                 make="Algo", model="8301 paging adapter", firmware="5.3.4",
                 display_name="Overhead paging")  # fmt: skip

        def number(text, purpose, site=None, assigned=None):
            value = _number(text)
            return self.ensure(
                PhoneNumber,
                {"number": value},
                lambda: PhoneNumber(migration=migration, number=value, purpose=purpose,
                                    site=site, endpoint=assigned),
                **kw,
            )  # fmt: skip

        P = PhoneNumber.Purpose
        # Carrier 1: the HQ's 303 block.
        number(HQ_BLOCK.format(0), P.MAIN_LINE, hq)
        number(HQ_BLOCK.format(1), P.HUNT_PILOT, hq)
        number(HQ_BLOCK.format(2), P.FAX, hq, fax)
        number(HQ_BLOCK.format(3), P.ALARM, hq)
        for i in range(20):
            ext = str(101 + i)
            number(HQ_BLOCK.format(10 + i), P.USER_DID, hq, desk[ext])
        number(HQ_BLOCK.format(30), P.USER_DID, hq, conference)
        # Carrier 2: the 720 block (Boulder's main line and DIDs, the remote workers' DIDs).
        boulder = sites["Boulder Studio"]
        number(CLEC_BLOCK.format(0), P.MAIN_LINE, boulder)
        for i in range(9):
            ext = str(131 + i)
            number(CLEC_BLOCK.format(10 + i), P.USER_DID, boulder, desk[ext])
        for i in range(25):
            ext = str(201 + i)
            number(CLEC_BLOCK.format(20 + i), P.USER_DID, hq, remote[ext])
        # Toll-free: always its own order (RespOrg change).
        number(TOLL_FREE, P.MAIN_LINE, hq)
        self.load_porting(migration, by)
        self.load_e911(migration, by)
        return migration

    # -- E911: site locations, exempt lines, remote workers, registrations ---------------

    def load_e911(self, migration, by):

        if DispatchableLocation.objects.filter(migration=migration).exists():
            return  # already loaded
        defaults = {}
        for site in migration.sites.order_by("name"):
            defaults[site.pk] = create_location(
                migration=migration, by=by, site=site, is_site_default=True, label="Main",
                address_line1=site.address_line1, address_line2=site.address_line2,
                city=site.city, state=site.state, postal_code=site.postal_code, reason=REASON,
            )  # fmt: skip
            self._count(DispatchableLocation)
        for endpoint in migration.endpoints.filter(kind__in=["fax", "paging"]):
            assign_endpoint(endpoint, by=by, non_dialing=True, reason=REASON,
                            exempt_reason="receive-only line: cannot dial out")  # fmt: skip
        # Remote workers: three confirmed their homes, the rest have not yet (the
        # readiness report lists them as blocking).
        homes = [("1420 Pearl St", "Boulder", "CO", "80302"),
                 ("2550 Arapahoe Ave", "Boulder", "CO", "80302"),
                 ("800 Grant St", "Denver", "CO", "80203")]  # fmt: skip
        remote = migration.endpoints.filter(is_remote_worker=True).order_by("extension")
        for index, endpoint in enumerate(remote):
            worker = RemoteWorker.objects.create(
                migration=migration, name=endpoint.display_name or f"x{endpoint.extension}",
                email=endpoint.user_email or f"x{endpoint.extension}@bluebird.example",
            )  # fmt: skip
            worker.endpoints.add(endpoint)
            self._count(RemoteWorker)
            if index < len(homes):
                line1, city, state, postal_code = homes[index]
                create_location(migration=migration, by=by, remote_worker=worker,
                                address_line1=line1, city=city, state=state,
                                postal_code=postal_code, reason=REASON)  # fmt: skip
                self._count(DispatchableLocation)
                worker.confirmed_at = clock.now()
                save_with_history(worker, by=by, reason="demo: home confirmed")
        # Make before break: the toll-free order's number is registered already.
        toll_free = migration.port_orders.filter(carrier_account__carrier_type="toll_free").first()
        for number in toll_free.numbers.all() if toll_free else ():
            site_location = defaults.get(number.site_id) or next(iter(defaults.values()))
            set_registration(migration=migration, by=by, number=number, status="active",
                             location=site_location, provider_reference=f"E911-{number.pk}",
                             reason=REASON)  # fmt: skip

    # -- porting: three carrier accounts, three orders at different stages ----------------

    def load_porting(self, migration, by):
        kw = {"organization": migration.organization, "by": by}
        today = clock.today()
        numbers = {str(n.number): n for n in migration.numbers.all()}

        def block(template, indexes):
            return sorted(_number(template.format(i)) for i in indexes)

        hq_block = block(HQ_BLOCK, [0, 1, 2, 3, *range(10, 31)])
        clec_block = block(CLEC_BLOCK, [0, *range(10, 19), *range(20, 45)])
        accounts = [
            # The ILEC: its CSR says "LLC"; the first LOA draft will be edited to drop it,
            # so the order page shows the check catching the classic name mismatch.
            ("Lumen", CarrierAccount.CarrierType.MAJOR_ILEC, "303-296-4100-771",
             HQ_BLOCK.format(0), ("1600 Wynkoop Street", "Suite 300", "Denver", "CO", "80202"),
             hq_block),
            ("Comcast Business", CarrierAccount.CarrierType.MAJOR_CLEC, "8772104430012345",
             CLEC_BLOCK.format(0), ("1942 Broadway", "Ste 210", "Boulder", "CO", "80302"),
             clec_block),
            ("Lumen toll-free (RespOrg LMN01)", CarrierAccount.CarrierType.TOLL_FREE, "TF-88841",
             TOLL_FREE, ("1600 Wynkoop Street", "Suite 300", "Denver", "CO", "80202"),
             [_number(TOLL_FREE)]),
        ]  # fmt: skip
        orders = []
        for name, kind, account_number, btn, address, on_account in accounts:
            line1, line2, city, state, zip_code = address
            account = self.ensure(
                CarrierAccount,
                {"migration": migration, "carrier_name": name},
                lambda n=name, k=kind, a=account_number, b=btn, l1=line1, l2=line2, c=city,
                st=state, z=zip_code, nums=on_account: CarrierAccount(
                    migration=migration, carrier_name=n, carrier_type=k, account_number=a,
                    btn=_number(b), pin=f"{secrets.randbelow(10**4):04d}",
                    csr_account_name="Bluebird Marketing LLC",
                    csr_authorized_person="Marcus Bluebird", csr_address_line1=l1,
                    csr_address_line2=l2, csr_city=c, csr_state=st, csr_postal_code=z,
                    csr_has_pin=True, csr_numbers=nums,
                    csr_date=today - datetime.timedelta(days=6),
                ),
                **kw,
            )  # fmt: skip
            existing = account.port_orders.first()
            if existing is None:
                existing = create_port_order(
                    account,
                    [numbers[e164] for e164 in on_account],
                    winning_carrier="Zoom Phone",
                    requested_date=migration.target_start,
                    by=by,
                    reason=REASON,
                )
                self._count(PortOrder)
                orders.append(existing)
        if len(orders) != 3:
            return  # already loaded
        ilec, clec, toll_free = orders
        prepare_loa(ilec, by=by, reason=REASON, business_name="Bluebird Marketing")
        for order in (clec, toll_free):
            loa = prepare_loa(order, by=by, reason=REASON)
            # Signed through the real portal services, as the customer would.
            request, _token, _shown = issue_signing_link(
                loa, email="marcus@bluebird.example", by=by, meta=DEMO_SIGNER
            )
            request, shown = open_request(request, meta=DEMO_SIGNER)
            sign(
                request, typed_name=loa.authorized_person, typed_title="Owner", consent=True,
                meta=DEMO_SIGNER, document_sha256=shown.sha256, email_copy=False,
            )  # fmt: skip
            acknowledge_warnings(order, by=by, reason="demo: hunt group and fax planned")
            transition_order(order, "submit_loa", by=by, reason="demo: sent to Zoom porting")
        # Off-hours, in the carrier's local time: 02:00 Denver, nine days out.
        foc = datetime.datetime.combine(
            today + datetime.timedelta(days=9),
            datetime.time(2, 0),
            tzinfo=ZoneInfo("America/Denver"),
        )
        transition_order(
            toll_free,
            "record_foc",
            by=by,
            reason="demo: RespOrg change confirmed",
            foc_at=foc,
            foc_timezone="America/Denver",
            confirmation_number="SOMOS-44120",
        )

    # -- a small migration in the second organization ---------------------------------------

    def load_patel(self, org, by):
        kw = {"organization": org, "by": by}
        customer = self.ensure(
            Customer,
            {"legal_name": "Patel & Associates PLLC"},
            lambda: Customer(legal_name="Patel & Associates PLLC", dba_name="Patel Law",
                             main_contact_name="Sandeep Patel",
                             main_contact_email="sandeep@patel-law.example",
                             operating_states=["TX"]),
            **kw,
        )  # fmt: skip
        migration = self.ensure(
            Migration,
            {"customer": customer, "name": "Patel & Associates phased port"},
            lambda: Migration(customer=customer, name="Patel & Associates phased port",
                              owner=by),
            **kw,
        )  # fmt: skip
        site = self.ensure(
            Site,
            {"migration": migration, "name": "Dallas office"},
            lambda: Site(migration=migration, customer=customer, name="Dallas office",
                         address_line1="2200 Ross Avenue", address_line2="Suite 4100",
                         city="Dallas", state="TX", postal_code="75201",
                         timezone="America/Chicago", seat_count=40),
            **kw,
        )  # fmt: skip
        for i in range(5):
            ext = str(401 + i)
            phone = self.ensure(
                Endpoint,
                {"migration": migration, "extension": ext},
                lambda e=ext: Endpoint(migration=migration, site=site, extension=e,
                                       kind=Endpoint.Kind.DESK_PHONE,
                                       mac_address=_mac("0004F2", 0xD40000 + int(e)),
                                       make="Poly", model="VVX 450", firmware="6.4.3",
                                       sip_username=f"patel-{e}",
                                       sip_password=secrets.token_urlsafe(18)),
                **kw,
            )  # fmt: skip
            value = _number(f"214-740-11{i + 10:02d}")
            self.ensure(
                PhoneNumber,
                {"number": value},
                lambda v=value, p=phone: PhoneNumber(migration=migration, number=v, site=site,
                                                     endpoint=p),
                **kw,
            )  # fmt: skip
        value = _number("214-740-1100")
        self.ensure(
            PhoneNumber,
            {"number": value},
            lambda: PhoneNumber(migration=migration, number=value, site=site,
                                purpose=PhoneNumber.Purpose.MAIN_LINE),
            **kw,
        )  # fmt: skip

    # -- output -------------------------------------------------------------------------

    def report(self, migration, password, base_url):
        if self.created:
            made = ", ".join(f"{n} {name}" for name, n in sorted(self.created.items()))
            self.stdout.write(f"Demo data: created {made}.")
        else:
            self.stdout.write("Demo data: already loaded, nothing created.")
        counts = (
            f"{migration.sites.count()} sites, {migration.endpoints.count()} endpoints, "
            f"{migration.numbers.count()} numbers"
        )
        self.stdout.write(f"Migration: {migration} - {counts}.")
        url = base_url.rstrip("/")
        lines = [
            "",
            "=" * 64,
            f"  Open      {url}/accounts/login/" if url else "  Log in at /accounts/login/",
            f"  Log in    demo / {password}   (owner of Demo Integrator)",
            f"            tech / {password}   (technician)",
            "  The password is set anew on every run (--password to choose it).",
            "=" * 64,
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
