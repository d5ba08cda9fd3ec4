from .urls import webhook_urlpatterns as urlpatterns  # noqa: F401
