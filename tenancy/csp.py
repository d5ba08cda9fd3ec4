"""The Content-Security-Policy (django-csp, `CONTENT_SECURITY_POLICY` in the settings) and
its one per-response addition. docs/security.md says what it covers."""

from __future__ import annotations

import base64
import hashlib
import re

from csp.middleware import CSPMiddleware as _CSPMiddleware

_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware, on HTML pages only. A PDF, a CSV or JSON is no document a
    policy governs, and a policy on a PDF can stop the browser's own PDF viewer."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)


def style_hashes(html: str) -> list[str]:
    """The CSP hash sources ('sha256-…') of the inline <style> elements of `html`."""
    digests = (hashlib.sha256(css.encode()).digest() for css in _STYLE_ELEMENT.findall(html))
    return [f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests]


def allow_document_styles(response, html: str):
    """Let the inline style sheets of `html`, a document the page shows in an
    `<iframe srcdoc>` (which lives under the page's own policy), apply: exactly those, by
    their hash, on this response only. The document itself is shown unchanged, so what the
    signer reads is byte for byte what is fingerprinted and signed."""
    hashes = style_hashes(html)
    if hashes:
        update = dict(getattr(response, "_csp_update", None) or {})
        update["style-src"] = [*update.get("style-src", []), *hashes]
        response._csp_update = update
    return response
