from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`manage.py load_demo`): the top layer, built through every app's
    services like a project manager would."""

    name = "demo"
    verbose_name = "Demo data"
