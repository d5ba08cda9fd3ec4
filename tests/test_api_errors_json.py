"""API errors are JSON in every case, and a write that lost a race is a 409, never a 500:
in the API (DRF's views and Django's own answers under /api/), on pages ("Nothing
changed: …") and on the command line (exit 1, `"conflict": true` with --json)."""

import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseServerError
from django.test import Client, RequestFactory
from django.urls import path
from django.views import View
from django_fsm import ConcurrentTransition
from rest_framework.test import APIClient

from tenancy.api_errors import ApiJsonErrorsMiddleware
from tenancy.rules import TransitionConflict, as_conflict

pytestmark = pytest.mark.django_db


# Plain Django views under /api/ (no DRF), for what Django itself answers there.
def _boom(request):
    raise OperationalError("server closed the connection unexpectedly")


class _OnlyGet(View):
    def get(self, request):
        return HttpResponse("fine")


urlpatterns = [
    path("api/boom/", _boom),
    path("api/only-get/", _OnlyGet.as_view()),
    path("pages/boom/", _boom),
]


class _LockNotAvailable(Exception):
    sqlstate = "55P03"


def lock_refused() -> OperationalError:
    """What Django raises when PostgreSQL refuses a row lock (psycopg's error as cause)."""
    error = OperationalError("could not obtain lock on row in relation")
    error.__cause__ = _LockNotAvailable()
    return error


def is_json(response) -> dict:
    assert response["Content-Type"].split(";")[0] == "application/json", response["Content-Type"]
    return json.loads(response.content)


@pytest.fixture
def api(pm_a):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(pm_a)
    return client


def order_url(world_a):
    return f"/api/o/northwind/port-orders/{world_a['port_order'].pk}/"


# -- conflicts -------------------------------------------------------------------------------


def test_a_patch_that_loses_a_race_is_a_409_in_json(api, world_a):
    """The save of a PATCH whose state moved underneath (django-fsm's ConcurrentTransition)
    answers 409 with rule `conflict`, and nothing changed."""
    with mock.patch(
        "tenancy.services.save_with_history", side_effect=ConcurrentTransition("state moved")
    ):
        response = api.patch(order_url(world_a), {"winning_carrier": "Teams"}, format="json")
    assert response.status_code == 409
    body = is_json(response)
    assert body["rule"] == "conflict" and "Someone else" in body["detail"]
    world_a["port_order"].refresh_from_db()
    assert world_a["port_order"].winning_carrier != "Teams"


def test_a_refused_row_lock_is_a_409_not_a_500(api, world_a):
    with mock.patch("tenancy.services.lock_for_update", side_effect=lock_refused()):
        response = api.patch(order_url(world_a), {"winning_carrier": "Teams"}, format="json")
    assert response.status_code == 409
    assert is_json(response)["rule"] == "conflict"


def test_a_transition_that_loses_a_race_is_a_409(api, world_a):
    with mock.patch(
        "porting.services.save_with_history", side_effect=ConcurrentTransition("state moved")
    ):
        response = api.post(
            order_url(world_a) + "transition/",
            {"transition": "cancel", "cancel_reason": "customer stays"},
            format="json",
        )
    assert response.status_code == 409
    assert is_json(response)["rule"] == "conflict"


def test_as_conflict_knows_the_lost_races_and_nothing_else():
    assert isinstance(as_conflict(ConcurrentTransition("x")), TransitionConflict)
    assert isinstance(as_conflict(lock_refused()), TransitionConflict)
    assert as_conflict(OperationalError("server closed the connection")) is None
    assert as_conflict(ValueError("x")) is None


def test_a_page_says_nothing_changed_on_a_conflict(client, pm_a, world_a):
    order = world_a["port_order"]
    client.force_login(pm_a)
    with mock.patch(
        "porting.services.save_with_history", side_effect=ConcurrentTransition("state moved")
    ):
        response = client.post(
            f"/o/northwind/port-orders/{order.pk}/transition/",
            {
                "transition": "cancel",
                "cancel_reason": "customer stays",
                "expected_state": order.state,
            },
            follow=True,
        )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Nothing changed: Someone else") for m in shown), shown


def test_the_command_line_exits_1_with_the_conflict(pm_a, world_a):
    order = world_a["port_order"]
    out = StringIO()
    with (
        mock.patch(
            "operations.management.commands.porting.transition_order",
            side_effect=lock_refused(),
        ),
        pytest.raises(CommandError, match="Conflict: Someone else"),
    ):
        call_command(
            "porting", "--action", "update", "--migration-id", str(order.migration.uuid),
            "--order", str(order.pk), "--stage", "cancelled", "--reason", "customer stays",
            "--user", pm_a.username, "--json", stdout=out, stderr=StringIO(),
        )  # fmt: skip
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["conflict"] is True


# -- JSON in every case ------------------------------------------------------------------------


def test_a_database_outage_inside_the_api_is_a_json_503(api, world_a):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        response = api.get("/api/o/northwind/port-orders/")
    assert response.status_code == 503
    assert "database" in is_json(response)["detail"]


def test_an_unknown_api_route_is_a_json_404(client):
    for url in ("/api/nope/", "/api/o/northwind/no-such-resource/"):
        response = client.get(url)
        assert response.status_code == 404
        assert is_json(response) == {"detail": "Not found."}


@pytest.mark.urls("tests.test_api_errors_json")
def test_what_django_answers_under_api_is_json_too():
    client = Client(raise_request_exception=False)
    crashed = client.get("/api/boom/")  # an exception no view handled: Django's 500
    assert crashed.status_code == 500
    assert "Server error" in is_json(crashed)["detail"]
    refused = client.post("/api/only-get/")  # Django's own 405
    assert refused.status_code == 405
    assert is_json(refused) == {"detail": 'Method "POST" not allowed.'}
    assert refused["Allow"] == "GET, HEAD, OPTIONS"
    # Pages keep Django's HTML.
    page = client.get("/pages/boom/")
    assert page.status_code == 500 and "application/json" not in page["Content-Type"]


def test_the_middleware_leaves_json_and_successes_alone():
    request = RequestFactory().get("/api/o/x/")
    ok = ApiJsonErrorsMiddleware(lambda r: HttpResponse("<p>fine</p>"))(request)
    assert ok.content == b"<p>fine</p>"
    forbidden = ApiJsonErrorsMiddleware(lambda r: HttpResponse("<h1>403</h1>", status=403))(request)
    assert is_json(forbidden) == {"detail": "You do not have permission to perform this action."}
    assert is_json(
        ApiJsonErrorsMiddleware(lambda r: HttpResponseServerError("<h1>500</h1>"))(request)
    )["detail"].startswith("Server error")
    assert (
        ApiJsonErrorsMiddleware(lambda r: HttpResponseNotAllowed(["GET"]))(request)["Allow"]
        == "GET"
    )
