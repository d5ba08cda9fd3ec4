import factory
from django.contrib.auth import get_user_model

from customers.models import Customer, Migration
from porting.models import PhoneNumber
from sites.models import Endpoint, Site
from tenancy.models import Membership, Organization
from tenancy.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "pw-for-tests-123")
        if create:
            user.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Integrator {n}")
    slug = factory.Sequence(lambda n: f"integrator-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.PROJECT_MANAGER


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    legal_name = factory.Sequence(lambda n: f"Acme Tax Services {n} LLC")
    dba_name = "Acme Tax"
    main_contact_name = "Pat Doe"
    main_contact_email = "pat@acmetax.example"
    operating_states = ["TX"]


class MigrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Migration

    customer = factory.SubFactory(CustomerFactory)
    organization = factory.SelfAttribute("customer.organization")
    name = factory.Sequence(lambda n: f"Migration {n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    migration = factory.SubFactory(MigrationFactory)
    customer = factory.SelfAttribute("migration.customer")
    organization = factory.SelfAttribute("migration.organization")
    name = factory.Sequence(lambda n: f"Office {n}")
    address_line1 = "123 Main Street"
    address_line2 = "Suite 200"
    city = "Dallas"
    state = "TX"
    postal_code = "75201"
    timezone = "America/Chicago"
    seat_count = 20


def _mac(n):
    raw = f"0004F2{n:06X}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    site = factory.SubFactory(SiteFactory)
    migration = factory.SelfAttribute("site.migration")
    organization = factory.SelfAttribute("site.organization")
    kind = Endpoint.Kind.DESK_PHONE
    mac_address = factory.Sequence(_mac)
    make = "Polycom"
    model = "VVX 450"
    firmware = "6.4.3"
    extension = factory.Sequence(lambda n: f"{1000 + n}")
    display_name = factory.Sequence(lambda n: f"User {n}")
    sip_username = factory.Sequence(lambda n: f"sip{1000 + n}")
    sip_password = "s3cret-SIP-pass"


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    migration = factory.SubFactory(MigrationFactory)
    organization = factory.SelfAttribute("migration.organization")
    # 555-5000 to 555-8999: clear of the numbers tests spell out (world_a's 555-0100,
    # 0100-0299, 3000s, 9000s, 9999), which a sequence at 100 used to hit.
    number = factory.Sequence(lambda n: f"+1214555{5000 + n % 4000:04d}")
    purpose = PhoneNumber.Purpose.USER_DID


class CarrierAccountFactory(factory.django.DjangoModelFactory):
    """An AT&T account whose CSR matches the customer exactly (a clean LOA passes)."""

    class Meta:
        model = "porting.CarrierAccount"

    migration = factory.SubFactory(MigrationFactory)
    organization = factory.SelfAttribute("migration.organization")
    carrier_name = "AT&T"
    carrier_type = "major_ilec"
    account_number = factory.Sequence(lambda n: f"8310-{n:06d}")
    btn = "+12145550100"
    csr_account_name = factory.SelfAttribute("migration.customer.legal_name")
    csr_authorized_person = "Pat Doe"
    csr_address_line1 = "123 Main Street"
    csr_address_line2 = "Suite 200"
    csr_city = "Dallas"
    csr_state = "TX"
    csr_postal_code = "75201"
    csr_numbers = factory.LazyFunction(lambda: ["+12145550100", "+12145550101", "+12145550102"])
    csr_date = factory.LazyFunction(lambda: __import__("datetime").date.today())
