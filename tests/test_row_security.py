"""The second wall under tenancy: PostgreSQL row-level security (rowsecurity/,
docs/tenancy-and-roles.md).

Inside a request of organization B, the database itself shows none of A's rows, whatever
the SQL: raw SQL, an unscoped `Model.objects.all()`, a page whose queryset forgot its
organization. These tests need PostgreSQL (SQLite has no row-level security)."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

import rowsecurity
from customers.models import Customer
from rowsecurity.backend.base import OUTSIDE
from rowsecurity.checks import every_scoped_table_has_a_policy
from rowsecurity.middleware import RowSecurityMiddleware
from rowsecurity.registry import protected_tables
from rowsecurity.sql import POLICY, TOKEN_POLICY, app_role, migrated_tables
from tenancy.scoping import OrgScopedModel
from tenancy.selectors import membership_for

from . import factories as f
from .conftest import login
from .services import unavailable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        unavailable("row-level security is a PostgreSQL feature")


def scoped_models():
    """The organization-scoped models whose tables the migrations protect (a table they
    miss fails `test_every_organization_scoped_table_has_its_policy...` below)."""
    migrated = {t.name for t in migrated_tables()}
    return [
        m
        for m in apps.get_models()
        if issubclass(m, OrgScopedModel) and not m._meta.proxy and m._meta.db_table in migrated
    ]


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def as_member_of(user, slug):
    """What a request does before its view runs: the middleware's scope, then the
    membership lookup that decides the request's organization."""
    scope = rowsecurity.request_scope()
    scope.__enter__()
    membership_for(user, slug)
    return scope


# -- the proofs the issue asks for -------------------------------------------------------


def test_raw_sql_in_a_request_of_b_returns_none_of_a_rows(world_a, world_b, pm_b):
    """A view of organization B that runs raw SQL over every organization-scoped table
    (and their history and many-to-many tables) gets none of A's rows."""
    org_a, org_b = world_a["customer"].organization_id, world_b["customer"].organization_id
    direct = [t.name for t in migrated_tables() if not t.parent_table]
    seen = {}

    def view(request):
        membership_for(request.user, "lear")
        for table in direct:
            seen[table] = {row[0] for row in raw(f'SELECT organization_id FROM "{table}"')}  # noqa: S608
        seen["porting_portorder_numbers"] = raw(
            "SELECT o.organization_id FROM porting_portorder_numbers n "
            "JOIN porting_phonenumber o ON o.id = n.phonenumber_id"
        )
        return HttpResponse("ok")

    request = RequestFactory().get("/o/lear/")
    request.user = pm_b
    assert RowSecurityMiddleware(view)(request).status_code == 200

    # A's rows exist (outside any scope the test runs as the database's superuser)...
    outside = raw('SELECT count(*) FROM "customers_customer" WHERE organization_id = %s', [org_a])
    assert outside[0][0] == 1
    # ...and the request of B saw none of them, in any table, but did see its own.
    assert all(org_a not in orgs for orgs in seen.values()), seen
    assert seen["customers_customer"] == {org_b}
    assert seen["porting_historicalportorder"] == {org_b}
    assert {row[0] for row in seen["porting_portorder_numbers"]} == {org_b}


def test_unscoped_querysets_in_a_request_of_b_return_only_b_rows(world_a, world_b, pm_b):
    org_a = world_a["customer"].organization_id
    org_b = world_b["customer"].organization_id
    everywhere = {
        m: set(m.objects.values_list("organization_id", flat=True)) for m in scoped_models()
    }
    assert sum(org_a in orgs for orgs in everywhere.values()) >= 20  # A's world is populated

    scope = as_member_of(pm_b, "lear")
    try:
        inside = {
            m: set(m.objects.all().values_list("organization_id", flat=True)) for m in everywhere
        }
        history = set(Customer.history.all().values_list("organization_id", flat=True))
        through = set(
            Customer.objects.model._meta.apps.get_model(
                "porting", "PortOrder"
            ).numbers.through.objects.values_list("portorder__organization_id", flat=True)
        )
    finally:
        scope.__exit__(None, None, None)

    for model, orgs in inside.items():
        assert orgs == (everywhere[model] & {org_b}), model.__name__
    assert history == {org_b}
    assert through == {org_b}


def test_a_page_whose_queryset_forgot_its_organization_still_shows_only_b(
    client, monkeypatch, world_a, world_b, pm_b, settings
):
    """The first wall broken on purpose (the page mixin's scoping made a no-op): the
    customer list of B still shows none of A's customers, because the database refuses.
    With the second wall switched off, the same bug leaks: the test can fail."""
    monkeypatch.setattr("tenancy.views_base.scope_queryset", lambda queryset, org: queryset)
    login(client, pm_b)
    page = client.get("/o/lear/customers/").content.decode()
    assert "Lear Dental" in page
    assert "Acme Tax Services" not in page

    settings.ROW_SECURITY = False
    leaked = client.get("/o/lear/customers/").content.decode()
    assert "Acme Tax Services" in leaked


def test_writes_into_another_organization_are_refused(world_a, world_b, pm_b):
    a_customer, b_customer = world_a["customer"], world_b["customer"]
    scope = as_member_of(pm_b, "lear")
    try:
        # A's rows cannot be reached to change or delete...
        assert Customer.objects.filter(pk=a_customer.pk).update(legal_name="Taken") == 0
        assert Customer.objects.filter(pk=a_customer.pk).delete()[0] == 0
        # ...nor written into A: a new row, or B's row moved there (the WITH CHECK).
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            f.CustomerFactory(organization=a_customer.organization)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            raw(
                "UPDATE customers_customer SET organization_id = %s WHERE id = %s",
                [a_customer.organization_id, b_customer.pk],
            )
    finally:
        scope.__exit__(None, None, None)
    a_customer.refresh_from_db()
    assert a_customer.legal_name == "Acme Tax Services LLC"
    assert Customer.objects.filter(organization=a_customer.organization).count() == 1


def test_a_request_without_an_organization_sees_no_organization_rows(world_a):
    with rowsecurity.request_scope():
        assert not Customer.objects.exists()
        assert raw("SELECT count(*) FROM porting_portorder")[0][0] == 0
        # Tables outside tenancy's scope stay readable (the login needs users).
        assert raw("SELECT count(*) FROM auth_user")[0][0] > 0
    assert Customer.objects.exists()


def test_a_rollback_does_not_drop_the_scope(world_a, world_b, pm_b):
    """The scope is set in the session by a statement a rollback to a savepoint undoes:
    the backend sets it again before the next query."""
    scope = as_member_of(pm_b, "lear")
    try:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            assert Customer.objects.count() == 1  # the scope is set inside the savepoint
            raise ZeroDivisionError
        assert set(Customer.objects.values_list("organization_id", flat=True)) == {
            world_b["customer"].organization_id
        }
    finally:
        scope.__exit__(None, None, None)
    assert Customer.objects.count() == 2
    assert connection.rowsecurity_state == OUTSIDE


# -- entering and spanning organizations -------------------------------------------------


def test_a_request_cannot_span_organizations_or_enter_another(world_a, world_b, pm_b):
    scope = as_member_of(pm_b, "lear")
    try:
        with pytest.raises(rowsecurity.RowSecurityError):
            rowsecurity.all_organizations(reason="a sweep").__enter__()
        with pytest.raises(rowsecurity.RowSecurityError):
            rowsecurity.organization(world_a["customer"].organization_id).__enter__()
        with rowsecurity.organization(world_b["customer"].organization_id):
            assert Customer.objects.count() == 1
    finally:
        scope.__exit__(None, None, None)


def test_work_that_spans_organizations_says_so(world_a, world_b):
    with pytest.raises(ValueError, match="Say why"):
        rowsecurity.all_organizations(reason="").__enter__()
    with rowsecurity.all_organizations(reason="a test sweep"):
        assert Customer.objects.count() == 2
        assert raw("SELECT current_user")[0][0] == app_role()
    with rowsecurity.organization(world_a["customer"].organization_id):
        assert list(Customer.objects.values_list("pk", flat=True)) == [world_a["customer"].pk]


def test_a_task_runs_in_the_organization_of_its_row(world_a, world_b):
    @rowsecurity.for_row(Customer, "customer_id")
    def task(customer_id):
        return set(Customer.objects.values_list("pk", flat=True))

    assert task(world_a["customer"].pk) == {world_a["customer"].pk}
    assert task(customer_id=world_b["customer"].pk) == {world_b["customer"].pk}
    assert task(0) == set()  # a missing row: no organization at all


def test_every_task_declares_its_organizations():
    from config.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery)
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(ours) >= 10
    undeclared = [name for name, task in ours.items() if not hasattr(task.run, "row_security")]
    assert undeclared == []


def test_a_portal_token_opens_only_its_own_link_and_then_its_organization(world_a, world_b):
    from esign.services import find_request
    from tests.signing import link_request

    _request, token = link_request(world_a["loa"], by=world_a["migration"].owner)
    with rowsecurity.request_scope():
        with rowsecurity.portal_token("0" * 64):
            assert raw("SELECT count(*) FROM esign_signingrequest")[0][0] == 0
        found = find_request(token)
        assert found is not None and found.pk == _request.pk
        # The request is now the link's organization's, and only that one's.
        assert set(Customer.objects.values_list("organization_id", flat=True)) == {
            world_a["customer"].organization_id
        }


# -- the database: policies, role ----------------------------------------------------------


def test_every_organization_scoped_table_has_its_policy_migration():
    """A new organization-scoped model (or many-to-many field) fails here until
    `manage.py rowsecurity makemigration` has written its policy migration."""
    tables = {t.name for t in protected_tables()}
    for model in apps.get_models():
        if issubclass(model, OrgScopedModel) and not model._meta.proxy:
            assert model._meta.db_table in tables, model
            if hasattr(model, "history"):
                assert model.history.model._meta.db_table in tables, model
    assert every_scoped_table_has_a_policy() == []


def test_the_database_has_every_migrated_policy():
    tables = {t.name: t for t in migrated_tables()}
    rows = raw(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, array_agg(p.polname) "
        "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
        "WHERE c.relname = ANY(%s) GROUP BY 1, 2, 3",
        [list(tables)],
    )
    state = {name: (enabled, set(policies)) for name, enabled, _force, policies in rows}
    assert set(state) == set(tables)
    for name, (enabled, policies) in state.items():
        assert enabled, name
        wanted = {POLICY, TOKEN_POLICY} if tables[name].token else {POLICY}
        assert policies == wanted, name


def test_the_policies_read_the_settings_once_per_query_not_per_row(world_a):
    # Scalar subqueries become InitPlans: each table's filter compares with their result,
    # so scanning 5,000 endpoints does not parse the organization list 5,000 times.
    with rowsecurity.organization(world_a["customer"].organization_id):
        plan = "\n".join(r[0] for r in raw(
            "EXPLAIN SELECT e.id FROM sites_endpoint e JOIN sites_site s ON s.id = e.site_id"
        ))  # fmt: skip
        assert raw("SELECT count(*) FROM sites_endpoint") == [(1,)]
    filters = [line for line in plan.splitlines() if "Filter:" in line]
    assert filters and "InitPlan" in plan
    assert not any("current_setting" in line for line in filters), plan


def test_the_app_role_cannot_bypass_the_policies():
    role = raw(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = %s",
        [app_role()],
    )
    assert role == [(False, False, False)]
    owned = raw(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = %s)",
        [app_role()],
    )
    assert owned == [(0,)]


def test_deploy_check_warns_when_the_login_bypasses_the_policies():
    from rowsecurity.checks import the_login_role_is_bound_by_the_policies

    # The tests log in as the database's superuser: exactly what production must not do.
    warnings = the_login_role_is_bound_by_the_policies(databases=["default"])
    assert [w.id for w in warnings] == ["rowsecurity.W002"]
    assert "superuser" in warnings[0].msg
    assert the_login_role_is_bound_by_the_policies(databases=None) == []


@pytest.mark.django_db(transaction=True)
def test_the_compose_stacks_login_sees_no_rows_outside_a_request(world_a):
    """docker/postgres-roles.sh, as the postgres image runs it on a new volume, makes the
    login web, worker and beat use (compose.yaml): no superuser, no BYPASSRLS, reaching
    the tables only through the app role. Logged in as it, a committed row of A is
    invisible outside a request, while the superuser sees it."""
    import os
    import subprocess

    import psycopg

    from config.settings.base import BASE_DIR

    compose = (BASE_DIR / "docker" / "compose.yaml").read_text()
    assert "DATABASE_URL: postgres://voipmigrate_web:" in compose
    assert "MIGRATE_DATABASE_URL: postgres://voipmigrate:" in compose
    assert "./postgres-roles.sh:/docker-entrypoint-initdb.d/" in compose
    db = connection.settings_dict
    env = {**os.environ, "POSTGRES_USER": db["USER"], "POSTGRES_DB": db["NAME"],
           "POSTGRES_APP_PASSWORD": "it's a 'test'", "PGHOST": db["HOST"] or "127.0.0.1",
           "PGPORT": str(db["PORT"] or 5432), "PGPASSWORD": db["PASSWORD"] or ""}  # fmt: skip
    script = BASE_DIR / "docker" / "postgres-roles.sh"
    try:
        for _ in range(2):  # a second run changes nothing and does not fail
            subprocess.run(["sh", str(script)], env=env, check=True, capture_output=True)
        role = raw(
            "SELECT rolsuper, rolbypassrls, rolcanlogin, pg_has_role(oid, %s, 'MEMBER') "
            "FROM pg_roles WHERE rolname = 'voipmigrate_web'",
            [app_role()],
        )
        assert role == [(False, False, True, True)]
        assert Customer.objects.filter(organization=world_a["customer"].organization).exists()
        with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], dbname=db["NAME"],
                             user="voipmigrate_web", password="it's a 'test'") as web:  # fmt: skip
            assert web.execute("SELECT count(*) FROM customers_customer").fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP ROLE IF EXISTS voipmigrate_web")
