from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What a project manager works from, gathered from every domain app: the
    organization's home page, each migration's page with its dashboard, and the
    `porting` command. The top of the domain layers (docs/architecture.md)."""

    name = "operations"
    verbose_name = "Operations"
