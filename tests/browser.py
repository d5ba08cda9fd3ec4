"""Playwright on Debian's Chromium (Playwright's own browser download does not work here)."""

import os
import shutil
import time
from pathlib import Path

import pytest
from django.db import connections

# The same browser and flags as the benchmark's Chromium peer.
from bench.chromium import CHROMIUM
from bench.chromium import FLAGS as CHROMIUM_FLAGS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def require_chromium():
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


# What Chromium logs to the console when the Content-Security-Policy blocks something
# ("Refused to execute inline script…", "Refused to apply inline style…", "Refused to
# load…", "…violates the following Content Security Policy directive…").
CSP_VIOLATION_MARKS = ("Refused to", "Content Security Policy directive")


def is_csp_violation(text: str) -> bool:
    return any(mark in text for mark in CSP_VIOLATION_MARKS)


def _watch_csp(instance):
    """Every page of every context this browser opens reports its CSP violations (in any
    frame) to `instance.csp_violations`; the fixture fails the test on any at the end."""
    instance.csp_violations = []

    def listen(context):
        def on_console(message):
            if is_csp_violation(message.text):
                url = message.page.url if message.page else "?"
                instance.csp_violations.append(f"{url}: {message.text}")

        context.on("console", on_console)
        return context

    new_context, new_page = instance.new_context, instance.new_page
    instance.new_context = lambda *a, **kw: listen(new_context(*a, **kw))

    def page_with_listener(*a, **kw):
        page = new_page(*a, **kw)
        listen(page.context)
        return page

    instance.new_page = page_with_listener


def _wait_for_requests(live_server) -> None:
    """Wait for the requests the live server is still answering once the browser is
    closed (an htmx panel, a poll): else the test database's flush after the test can run
    into a request still reading it (a deadlock, and the next test starts on a database
    that was not flushed). Closing the browser closes its connections, so a thread
    waiting on a kept-alive connection ends too."""
    httpd = getattr(getattr(live_server, "thread", None), "httpd", None)
    for thread in list(getattr(httpd, "_threads", None) or []):
        thread.join(timeout=15)


@pytest.fixture
def browser(request):
    require_chromium()
    from playwright.sync_api import sync_playwright

    # The live server (and its test database) before the browser, so that the browser is
    # closed, and the server's requests finished, before the database is flushed.
    live_server = (
        request.getfixturevalue("live_server") if "live_server" in request.fixturenames else None
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        _watch_csp(instance)
        try:
            yield instance
            # Every browser test also proves its pages work under the Content-Security-
            # Policy: one violation anywhere fails it (docs/security.md).
            if instance.csp_violations:
                pytest.fail(
                    "Content-Security-Policy violations:\n" + "\n".join(instance.csp_violations)
                )
        finally:
            instance.close()
            _wait_for_requests(live_server)
            # Playwright's sync API runs the test in a greenlet with its own context, so
            # Django opened a second connection there: close it, or the test database
            # cannot be dropped at the end of the run.
            connections.close_all()


def log_in(page, base_url, username, password):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Wait until `expression` is true in the page. Not `page.wait_for_function`: Playwright
    builds that predicate with `new Function()` inside the page, which the Content-Security-
    Policy refuses (no 'unsafe-eval'); `page.evaluate` runs over the DevTools protocol."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {expression}")
        page.wait_for_timeout(100)
