"""API errors are JSON in every case (docs/api.md, "Errors").

* `exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]): inside a DRF view, a write
  that lost a race for a row (tenancy.rules.as_conflict: a TransitionConflict, django-fsm's
  ConcurrentTransition, a lock or serialization failure) is a 409 with rule `conflict`; a
  database that does not answer (OperationalError, InterfaceError) is a 503; the rest is
  DRF's own handling (and an exception it does not handle is Django's 500, below).
* `ApiJsonErrorsMiddleware`: what Django itself answers under /api/ (an unknown route's
  404, a 405 or 403 from outside DRF, the 500 of an exception no view caught, e.g. a
  database outage in a middleware) is turned into `{"detail": …}` with the same status.
"""

import json
import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler

from .api_base import RuleRefused
from .rules import as_conflict

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is not answering: nothing changed. Try again in a minute."
    default_code = "unavailable"


def exception_handler(exc, context):
    conflict = as_conflict(exc)
    if conflict is not None:
        exc = RuleRefused("conflict", str(conflict))
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is down or the connection broke (not a bug in the request): a 503
        # the client may retry. The traceback still goes to the log.
        logger.error("API %s: database error", _path(context), exc_info=exc)
        exc = ServiceUnavailable()
    return drf_exception_handler(exc, context)


def _path(context) -> str:
    request = context.get("request")
    return getattr(request, "path", "?")


# What each status says when Django, not the API, answered it.
DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request is too large.",
    500: "Server error: it was logged. Try again, or tell your administrator if it persists.",
    503: "The service is not available: try again in a minute.",
}


def _is_json(response) -> bool:
    content_type = (response.get("Content-Type") or "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


class ApiJsonErrorsMiddleware:
    """First in MIDDLEWARE, so that it also sees the 500 of an exception raised in any
    middleware after it. Django's own error pages are HTML: under /api/ an error answer
    that is not JSON becomes `{"detail": …}` with the same status and headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or getattr(response, "streaming", False)
            or _is_json(response)
        ):
            return response
        code = response.status_code
        detail = DETAILS.get(code) or response.reason_phrase or "Error."
        if code == 405:
            detail = f'Method "{request.method}" not allowed.'
        replaced = HttpResponse(
            json.dumps({"detail": detail}),
            status=code,
            content_type="application/json",
        )
        # The headers the middleware below set (security headers, Allow, Retry-After…)
        # and cookies stay; only the body and its type change.
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replaced[header] = value
        replaced.cookies = response.cookies
        return replaced
