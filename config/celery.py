import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("voipmigrate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_logs(logger, **kwargs):
    """Celery sets up its own handlers in a worker: they drop data: URIs and cut long
    values as the LOGGING setting's do (tenancy/log_redaction.py)."""
    from tenancy.log_redaction import RedactLogValues

    for handler in logger.handlers:
        if not any(isinstance(f, RedactLogValues) for f in handler.filters):
            handler.addFilter(RedactLogValues())
