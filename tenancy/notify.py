"""Courtesy emails about something already recorded (a signature, a stuck task, a
disabled endpoint): sent once the transaction commits, and a refusing mail server is
logged, never raised, since what the email tells of stands either way."""

import logging

from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)


def email_after_commit(subject: str, body: str, to: list[str], *, reply_to: str = "") -> None:
    def send():
        try:
            EmailMessage(
                subject=subject, body=body, to=to, reply_to=[reply_to] if reply_to else None
            ).send()
        except Exception:  # the change is recorded; a lost notice must not undo it
            logger.exception("Could not send the email: %s", subject)

    transaction.on_commit(send)
