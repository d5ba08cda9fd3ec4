"""REST API routes, mounted by config/urls.py at /api/o/<org_slug>/ (namespace "api")."""

from rest_framework.routers import SimpleRouter

from customerportal.api import (
    CustomerTaskViewSet,
    PortalLinkViewSet,
    QuestionnaireViewSet,
    StuckFlagViewSet,
)
from customers.api import CustomerViewSet, MigrationViewSet
from esign.api import PortOrderSigningViewSet
from porting.api import (
    CarrierAccountViewSet,
    CarrierConnectionViewSet,
    PhoneNumberViewSet,
    PortOrderViewSet,
)
from sites.api import EndpointViewSet, SiteViewSet
from webhooks.api import WebhookDeliveryViewSet, WebhookEndpointViewSet

app_name = "api"

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("migrations", MigrationViewSet, basename="migration")
router.register("sites", SiteViewSet, basename="site")
router.register("endpoints", EndpointViewSet, basename="endpoint")
router.register("numbers", PhoneNumberViewSet, basename="number")
router.register("carrier-accounts", CarrierAccountViewSet, basename="carrier-account")
router.register("port-orders", PortOrderViewSet, basename="port-order")
router.register("carrier-connections", CarrierConnectionViewSet, basename="carrier-connection")
# The signing routes of a port order (loa/send/, signing-requests/, loa/signed.pdf).
router.register("port-orders", PortOrderSigningViewSet, basename="port-order-signing")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("portal-links", PortalLinkViewSet, basename="portal-link")
router.register("stuck-flags", StuckFlagViewSet, basename="stuck-flag")
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register("customer-tasks", CustomerTaskViewSet, basename="customer-task")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
