from django.apps import AppConfig


class CustomerPortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customerportal"
    verbose_name = "Customer portal"
