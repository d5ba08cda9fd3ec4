"""Headless Chromium as a PDF printer: the peer of the checklist PDFs (case 1).

Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) driven by Playwright, ONE browser
and one page reused for every print, as a team printing its HTML with Chromium would run
it. Benchmark-only: Playwright is a dev dependency and nothing in the app imports this."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def available() -> bool:
    return bool(shutil.which(CHROMIUM) or Path(CHROMIUM).exists())


class Chromium:
    """`with Chromium() as chromium: chromium.pdf(html)`: one browser for all prints.

    Playwright's sync API runs an event loop in the thread that starts it, and Django
    refuses database queries in a thread with a running loop: so Playwright lives in a
    thread of its own and this process's thread stays free for the ORM."""

    def __enter__(self):
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        try:
            self._thread.submit(self._start).result()
        except BaseException:
            self._thread.shutdown()
            raise
        return self

    def _start(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=FLAGS, headless=True
            )
            self._page = self._browser.new_page()
        except BaseException:
            self._playwright.stop()
            raise

    def pdf(self, html: str) -> bytes:
        """Print `html` as Chromium does with "Save as PDF": Letter, backgrounds on, the
        document's own @page size and margins honoured."""
        return self._thread.submit(self._pdf, html).result()

    def _pdf(self, html: str) -> bytes:
        self._page.set_content(html, wait_until="load")
        return self._page.pdf(format="Letter", print_background=True, prefer_css_page_size=True)

    def _stop(self):
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def __exit__(self, *exc):
        try:
            self._thread.submit(self._stop).result()
        finally:
            self._thread.shutdown()
