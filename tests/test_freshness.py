"""The organization data version behind cached pages (tenancy/freshness.py)."""

import pytest
from django.db import connection, transaction

from tenancy import freshness

from . import factories as f


@pytest.mark.django_db
def test_a_change_bumps_its_organization_now_and_once_more_at_the_commit(world_a, org_b):
    org_a = world_a["migration"].organization
    before_a, before_b = freshness.version(org_a.pk), freshness.version(org_b.pk)
    with transaction.atomic():
        f.EndpointFactory(site=world_a["site"])
        f.EndpointFactory(site=world_a["site"])
        during = freshness.version(org_a.pk)
    assert during == before_a + 2  # each change, at once (the writer's own reads miss)
    assert freshness.version(org_b.pk) == before_b  # other organizations keep their pages
    at_commit = [
        callback
        for _sids, callback, _robust in connection.run_on_commit
        if getattr(callback, "org_data_version", None) == org_a.pk
    ]
    assert len(at_commit) == 1  # however many changes the transaction made
    at_commit[0]()
    assert freshness.version(org_a.pk) == before_a + 3


@pytest.mark.django_db
def test_many_to_many_changes_count(world_a):
    from e911.models import RemoteWorker

    worker = f.EndpointFactory(site=world_a["site"])
    org = world_a["migration"].organization
    before = freshness.version(org.pk)
    remote = RemoteWorker.objects.create(migration=world_a["migration"], name="Pat", email="p@x.io")
    after_create = freshness.version(org.pk)
    remote.endpoints.add(worker)
    assert after_create > before and freshness.version(org.pk) > after_create
