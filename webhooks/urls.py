from django.urls import path

from . import views as v

urlpatterns = [
    path("webhooks/", v.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", v.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", v.UpdateEndpoint.as_view(), name="webhook-update"),
    path("webhooks/<int:pk>/active/", v.ToggleEndpoint.as_view(), name="webhook-toggle"),
    path("webhooks/<int:pk>/secret/", v.RotateSecret.as_view(), name="webhook-rotate"),
    path("webhooks/<int:pk>/delete/", v.DeleteEndpoint.as_view(), name="webhook-delete"),
    path("webhook-deliveries/<int:pk>/replay/", v.ReplayDelivery.as_view(), name="webhook-replay"),
]
