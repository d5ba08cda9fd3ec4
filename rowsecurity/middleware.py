"""Every web request runs in a row-security scope with no organization, until the place
that decides the request's organization enters it (`rowsecurity.enter_organizations`):
the page and API membership lookup, a portal link's token, the admin site. A page that
never says which organization it serves sees no organization's rows."""

from .scope import request_scope


class RowSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            return self.get_response(request)
