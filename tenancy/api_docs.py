"""The API's schema and its reader (Swagger UI), for signed-in users only: the schema maps
every route and field an attacker would probe, so it is no public page.

`/api/schema/` answers 401 without a session or a token, like the API. Swagger UI sends an
anonymous visitor to the login page and back; it loads only files of ours (the Content-
Security-Policy allows no inline script): its start-up script comes from a second request
(drf-spectacular's split view). `/api/redoc/` sends to it: ReDoc needs inline styles, a
worker made from a blob and an image from its vendor's site, none of which the policy
allows (docs/security.md)."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import IsAuthenticated


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated]


class SwaggerView(SpectacularSwaggerSplitView):
    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, (NotAuthenticated, AuthenticationFailed)):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
