"""The one base every organization-scoped API endpoint uses (the API twin of `OrgMixin`).

URL layout: /api/o/<org_slug>/<resource>/[<lookup>/]. For every request, in this order:

1. authentication (token or session): anonymous callers get DRF's 401;
2. `org_slug` is resolved to the caller's membership: not a member answers 404, exactly
   like an organization that does not exist;
3. writes need `membership.can_write(model)`, else 403 (viewers never write; models can
   widen the roles, e.g. `Endpoint.write_roles` adds technicians);
4. querysets, filter choices and serializer relations are narrowed with
   `scope_queryset()`, so another organization's object answers 404 and another
   organization's id in a body or filter is "Invalid pk" (400), never a link.

Writes go through `tenancy.services.save_org_object` / `delete_org_object` (full_clean,
history with the acting user and the `X-Change-Reason` header as reason).
"""

import re
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import APIException, NotAcceptable
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

from .locking import changed_fields, field_values
from .rules import TransitionConflict, TransitionRefused, as_conflict
from .scoping import scope_queryset
from .selectors import membership_for
from .services import delete_org_object, save_org_object

REASON_HEADER = "X-Change-Reason"
_REASON_META_KEY = "HTTP_X_CHANGE_REASON"
# History reasons are text (SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD); the cap
# only keeps a header-borne reason to a sane size.
DEFAULT_REASON_MAX_LENGTH = 1000


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is still referred to by other records."
    default_code = "conflict"


def drf_validation_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """A model's `ValidationError` (full_clean) as a DRF 400 with per-field errors."""
    detail = get_error_detail(exc)
    if isinstance(detail, dict):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): value
            for key, value in detail.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: detail}
    return serializers.ValidationError(detail)


class OrgScopedSerializer(serializers.ModelSerializer):
    """ModelSerializer for organization-owned rows.

    * every writable relation (PrimaryKeyRelatedField, SlugRelatedField, many=True too)
      only accepts rows of the organization in the serializer context;
    * `organization` is never a field, and sending it is refused;
    * create/update go through `save_org_object` (full_clean + history), and the model's
      validation errors become 400s keyed by field.

    Subclasses may override `prepare_instance()` to derive fields before validation."""

    @property
    def organization(self):
        organization = self.context.get("organization")
        if organization is None:
            organization = getattr(self.context.get("request"), "organization", None)
        return organization

    def get_fields(self):
        fields = super().get_fields()
        organization = self.organization
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            if not isinstance(relation, serializers.RelatedField) or relation.read_only:
                continue
            if relation.queryset is None:
                continue
            relation.queryset = (
                scope_queryset(relation.queryset, organization)
                if organization is not None
                # No organization (e.g. schema generation): nothing is a valid choice.
                else relation.queryset.none()
            )
        return fields

    def get_unique_together_validators(self):
        # Uniqueness is per organization (a column the serializer never sees) and some
        # constraints are conditional: the model's full_clean() checks them all.
        return []

    def to_internal_value(self, data):
        if hasattr(data, "keys") and "organization" in data:
            raise serializers.ValidationError(
                {"organization": ["The organization is the one in the URL; do not send it."]}
            )
        return super().to_internal_value(data)

    # -- writes ---------------------------------------------------------------------

    def prepare_instance(self, instance):
        """Hook: derive fields (e.g. a parent from another parent) before full_clean()."""

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        return self.save_instance(instance)

    def update(self, instance, validated_data):
        before = field_values(instance)
        for attr, value in validated_data.items():
            setattr(instance, attr, value)
        return self.save_instance(instance, before=before, sent=validated_data.keys())

    # The service that writes (validate, history, and what else the model's app does on a
    # save); a model with its own write rules names its service here. It takes `fields`:
    # what this request changed (the rest is kept as others left it: tenancy.locking).
    save_service = staticmethod(save_org_object)

    def save_instance(self, instance, *, before=None, sent=()):
        request = self.context.get("request")
        self.prepare_instance(instance)
        fields = None
        if before is not None:  # an update: the fields sent, and what prepare_instance derived
            fields = set(sent) | changed_fields(instance, before)
        try:
            instance = self.save_service(
                instance,
                organization=self.organization,
                by=getattr(request, "user", None),
                reason=self.context.get("reason", ""),
                fields=fields,
            )
        except TransitionConflict as exc:
            raise RuleRefused("conflict", str(exc)) from exc
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        except IntegrityError as exc:
            # A concurrent write won the race past full_clean()'s uniqueness checks.
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["This conflicts with an existing record."]}
            ) from exc
        except PermissionError as exc:  # defence in depth in save_org_object
            raise Http404 from exc
        return instance


class OrgRolePermission(permissions.BasePermission):
    """Any member reads, writers write. Before judging the role it resolves the
    organization (404 for non-members) and the object named by the URL (404 when it is
    missing or another organization's), so such URLs answer 404 whatever the method:
    never 403 or 405, which would tell "exists elsewhere" from "missing"."""

    message = "Your role in this organization is read-only for this resource."

    def has_permission(self, request, view):
        membership = view.resolve_membership(request)
        view.resolve_url_object()
        if request.method in permissions.SAFE_METHODS:
            return True
        return membership.can_write(view.get_model())


# What follows the organization in an API path names the resource the schema groups an
# operation under; spectacular's own choice, the first segment, would be "o" for all.
API_PATH_PREFIX = re.compile(r"^/api/o/\{[^/}]+\}/")
# Routes under a resource's object that are a resource of their own, keyed by the path
# after "<resource>/{id}/" (the longest match wins). Anything else takes the resource's tag.
NESTED_TAGS = {
    "port-orders": {
        "findings": "LOAs", "loa": "LOAs", "acknowledge": "LOAs",
        "loa/send": "Signing", "loa/signed.pdf": "Signing", "signing-requests": "Signing",
    },
}  # fmt: skip


def resource_tag(path: str) -> str | None:
    """The schema tag of an API path: "/api/o/{org_slug}/port-orders/{id}/foc/" is
    "Port orders" (the segment, capitalized, hyphens as spaces), so a new resource is
    grouped without being listed anywhere. None for a path outside /api/o/<org>/."""
    match = API_PATH_PREFIX.match(path)
    if not match:
        return None
    parts = [part for part in path[match.end() :].split("/") if part]
    if not parts:
        return None
    resource, nested = parts[0], NESTED_TAGS.get(parts[0], {})
    if len(parts) > 2 and parts[1].startswith("{"):
        below = parts[2:]
        for end in range(len(below), 0, -1):
            if (key := "/".join(below[:end])) in nested:
                return nested[key]
    label = resource.replace("-", " ")
    return label[:1].upper() + label[1:]


class OrgScopedAutoSchema(AutoSchema):
    """Documents the organization path parameter and the change-reason header, and groups
    operations by resource (`resource_tag`; the groups' descriptions are
    SPECTACULAR_SETTINGS["TAGS"])."""

    def get_tags(self):  # @extend_schema(tags=...) still wins: it overrides this method
        tag = resource_tag(self.path)
        return [tag] if tag else super().get_tags()

    def get_override_parameters(self):
        parameters = [
            OpenApiParameter(
                "org_slug",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Slug of an organization you are a member of "
                "(any other organization answers 404).",
            )
        ]
        if self.method not in permissions.SAFE_METHODS:
            parameters.append(
                OpenApiParameter(
                    REASON_HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Why you make this change; stored as the history reason "
                    f"(at most {DEFAULT_REASON_MAX_LENGTH} characters).",
                )
            )
        return parameters + list(super().get_override_parameters())


class OrgScopedGenericViewSet(viewsets.GenericViewSet):
    """Routes on one organization-owned model under /api/o/<org_slug>/: the organization
    resolved once (404 for non-members), the URL's object looked up within it. Its own
    actions only; `OrgScopedViewSet` adds list, create, read, update and delete."""

    permission_classes = [permissions.IsAuthenticated, OrgRolePermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    schema = OrgScopedAutoSchema()

    membership = None
    organization = None

    def get_model(self):
        return self.get_serializer_class().Meta.model

    # -- organization ------------------------------------------------------------------

    def resolve_membership(self, request):
        """The caller's membership in the URL's organization (cached), or Http404."""
        if self.membership is None:
            membership = membership_for(request.user, self.kwargs["org_slug"])
            self.membership = membership
            self.organization = membership.organization
            for target in (request, getattr(request, "_request", None)):
                if target is not None:
                    target.membership = membership
                    target.organization = membership.organization
        return self.membership

    def initial(self, request, *args, **kwargs):
        # Authentication, then permissions (OrgRolePermission resolves the organization),
        # then throttles. Resolve again (cached) so that filtering and serializers can
        # rely on request.organization even if a subclass changes permission_classes.
        super().initial(request, *args, **kwargs)
        self.resolve_membership(request)

    def resolve_url_object(self):
        """Look up the object a detail URL names (cached), or raise Http404."""
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        if lookup_url_kwarg in self.kwargs:
            self.get_object()

    # -- reads ---------------------------------------------------------------------------

    def get_object(self):
        if getattr(self, "_url_object", None) is None:
            self._url_object = super().get_object()
        return self._url_object

    def get_queryset(self):
        manager = self.get_model()._default_manager
        if getattr(self, "swagger_fake_view", False) or self.organization is None:
            return manager.none()
        queryset = scope_queryset(manager.all(), self.organization)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = self.organization
        context["membership"] = self.membership
        if self.request is not None and self.request.method not in permissions.SAFE_METHODS:
            context["reason"] = self.change_reason()
        return context

    # -- writes --------------------------------------------------------------------------

    def change_reason(self) -> str:
        reason = (self.request.META.get(_REASON_META_KEY) or "").strip()
        if len(reason) > DEFAULT_REASON_MAX_LENGTH:
            raise serializers.ValidationError(
                {REASON_HEADER: [f"At most {DEFAULT_REASON_MAX_LENGTH} characters."]}
            )
        return reason


class OrgScopedViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    OrgScopedGenericViewSet,
):
    """CRUD for one organization-owned model under /api/o/<org_slug>/.

    Subclasses set `serializer_class` (an `OrgScopedSerializer`), `filterset_class` (an
    `OrgFilterSet`), `ordering_fields`, and optionally `lookup_field`, `select_related`."""

    def perform_destroy(self, instance):
        try:
            delete_org_object(
                instance,
                organization=self.organization,
                by=self.request.user,
                reason=self.change_reason(),
            )
        except (ProtectedError, RestrictedError) as exc:
            blocking = (
                exc.protected_objects
                if isinstance(exc, ProtectedError)
                else (exc.restricted_objects)
            )
            names = sorted({str(obj._meta.verbose_name_plural) for obj in blocking})
            raise Conflict(
                f"Cannot delete this {instance._meta.verbose_name}: "
                f"{', '.join(names)} still refer to it. Delete or move them first."
            ) from exc
        except PermissionError as exc:
            raise Http404 from exc


# -- refusals ------------------------------------------------------------------------


class RefusalSerializer(serializers.Serializer):
    rule = serializers.CharField(
        help_text="The rule that refused, e.g. no_loa_blockers, port_back_window_closed, "
        "role, state, or conflict."
    )
    detail = serializers.CharField(help_text="What to do about it.")


# Refusals that are about who asks, not about the order: 403. Every other rule: 409.
ROLE_RULES = frozenset({"role", "override_owner_only"})


class RuleRefused(APIException):
    """A service refused by a named rule: `{"rule": …, "detail": …}`."""

    def __init__(self, rule: str, detail: str):
        self.status_code = (
            status.HTTP_403_FORBIDDEN if rule in ROLE_RULES else status.HTTP_409_CONFLICT
        )
        self.detail = {"rule": rule, "detail": detail}


@contextmanager
def service_errors():
    """Translate the services' refusals: a model/service ValidationError is a 400
    (messages by field), TransitionRefused names its rule (403 for roles, else 409), and a
    conflict (TransitionConflict, django-fsm's ConcurrentTransition, a lock or
    serialization failure: `tenancy.rules.as_conflict`) is a 409 with rule `conflict`."""
    try:
        yield
    except TransitionRefused as exc:
        raise RuleRefused(exc.rule, exc.message) from exc
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from exc
    except Exception as exc:
        conflict = as_conflict(exc)
        if conflict is None:
            raise
        raise RuleRefused("conflict", str(conflict)) from exc


REFUSED_RESPONSE = OpenApiResponse(
    RefusalSerializer, description="Refused by a named rule (or `conflict`)."
)
FORBIDDEN_RULE_RESPONSE = OpenApiResponse(
    RefusalSerializer, description="Your role may not (rule `role` or `override_owner_only`)."
)
BAD_RESPONSE = OpenApiResponse(description="Invalid body, or the service refused (messages).")
# The answers a write through a service may give besides success.
WRITE_RESPONSES = {400: BAD_RESPONSE, 403: FORBIDDEN_RULE_RESPONSE, 409: REFUSED_RESPONSE}


class PdfOrJsonNegotiation(DefaultContentNegotiation):
    """For a route that answers a PDF file (a plain HttpResponse) or a JSON error:
    `Accept: application/pdf` is not a 406; errors are then rendered as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
