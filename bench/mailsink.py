"""A mail server on loopback that keeps count: the emails per cutover step and the SMTP
connections they came over (aiosmtpd, in a thread of this process)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from email import message_from_bytes

from aiosmtpd.controller import Controller

from .processes import free_port

STEP = re.compile(rb"^Step #(\d+):", re.M)


class _Handler:
    def __init__(self):
        self.lock = threading.Lock()
        self.due = Counter()  # step id -> "due" emails
        self.overdue = Counter()
        self.other = 0
        self.peers = set()  # one (host, port) per client connection

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        body = message.get_payload(decode=True) or b""
        match = STEP.search(body)
        subject = message.get("Subject", "")
        with self.lock:
            self.peers.add(session.peer)
            if match and subject.startswith("[Cutover step due]"):
                self.due[int(match.group(1))] += 1
            elif match and subject.startswith("[Cutover step overdue]"):
                self.overdue[int(match.group(1))] += 1
            else:
                self.other += 1
        return "250 Message accepted"


class MailSink:
    def __init__(self):
        self.port = free_port()
        self.handler = _Handler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()

    def settings(self) -> dict:
        """Django settings (or, as strings, environment variables) that send here."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": self.port}  # fmt: skip

    def due_counts(self) -> Counter:
        with self.handler.lock:
            return Counter(self.handler.due)

    def connections(self) -> int:
        with self.handler.lock:
            return len(self.handler.peers)

    def reset(self):
        with self.handler.lock:
            self.handler.due.clear()
            self.handler.overdue.clear()
            self.handler.peers.clear()
            self.handler.other = 0
