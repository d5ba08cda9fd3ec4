"""The Content-Security-Policy on the server side: every HTML page carries it, strict; no
template has an inline script, an inline event handler or a style="" attribute (the
browser tests, tests/test_browser_csp.py, show the pages work under it); the signing
portal allows exactly its letter's style sheet; files and JSON carry no policy."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from tenancy.csp import style_hashes

from .conftest import login
from .signing import link_request

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint or sent as email, never shown to a browser under the policy.
NOT_BROWSER_PAGES = re.compile(r"(_pdf|_document|email_|_email|checklist_form|_checklist_)")


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def _browser_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if not NOT_BROWSER_PAGES.search(path.name):
            yield path


def test_the_policy_is_strict():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["form-action"] == ["'self'"]
    flat = " ".join(str(v) for values in directives.values() for v in values)
    assert "unsafe-inline" not in flat and "unsafe-eval" not in flat and "*" not in flat


def test_staff_pages_portals_and_error_pages_carry_the_policy(client, pm_a, world_a, org_a):
    login(client, pm_a)
    for url in (
        reverse("org-home", args=[org_a.slug]),
        world_a["migration"].get_absolute_url(),
        reverse("api-tokens"),
        "/o/northwind/migrations/00000000-0000-0000-0000-000000000000/",  # the 404 page
    ):
        response = client.get(url)
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url  # no nonce unless a page uses one
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert "Content-Security-Policy" in Client().get(resolve_url(settings.LOGIN_URL))


def test_no_inline_script_handler_or_style_attribute_in_any_page_template():
    offenders = []
    for path in _browser_templates():
        text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(),
                      flags=re.DOTALL)  # fmt: skip
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.name}: inline {tag}")
        for match in re.finditer(r"\s(on[a-z]+)\s*=", text):
            offenders.append(f"{path.name}: event handler {match.group(1)}=")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.name}: style= attribute")
        if re.search(r"\shx-on[:-]|javascript:|hx-vals=['\"]js:", text):
            offenders.append(f"{path.name}: code in an attribute")
        for match in re.finditer(r"<style\b[^>]*>", text):
            if "nonce=" not in match.group(0):
                offenders.append(f"{path.name}: <style> without the response's nonce")
    assert offenders == []


def test_htmx_runs_without_eval_and_without_styles_of_its_own(client, pm_a, org_a):
    login(client, pm_a)
    html = client.get(reverse("org-home", args=[org_a.slug])).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    assert '"allowEval": false' in config and '"includeIndicatorStyles": false' in config
    assert '"allowScriptTags": false' in config
    assert html.index('name="htmx-config"') < html.index("htmx-2.min.js")


def test_the_signing_portal_allows_its_letters_style_sheet_by_hash_and_nothing_else(world_a):
    world_a["signing_request"].delete()
    _request, token = link_request(world_a["port_order"].current_loa())
    response = Client().get(reverse("esign:portal", args=[token]))
    assert response.status_code == 200
    policy = _policy(response)
    letter = re.search(r'srcdoc="([^"]*)"', response.content.decode()).group(1)
    hashes = style_hashes(html.unescape(letter))
    assert len(hashes) == 1
    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'", *hashes]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["script-src"] == ["'self'"]
    # The letter keeps no script, and its frame may run none (sandbox without scripts).
    assert "&lt;script" not in letter
    assert re.search(r'<iframe [^>]*sandbox="allow-same-origin"', response.content.decode())


def test_each_response_has_its_own_nonce(world_a):
    world_a["signing_request"].delete()
    _request, token = link_request(world_a["port_order"].current_loa())
    url = reverse("esign:portal", args=[token])
    nonces = {_policy(Client().get(url))["style-src"][1] for _ in range(2)}
    assert len(nonces) == 2


def test_files_and_json_carry_no_policy(client, pm_a, org_a, world_a):
    login(client, pm_a)
    api = client.get(reverse("api:migration-list", args=[org_a.slug]))
    assert api.status_code == 200 and "Content-Security-Policy" not in api
    static = client.get(reverse("api-docs") + "?script=")  # Swagger UI's start-up script
    assert static["Content-Type"].startswith("application/javascript")
    assert "Content-Security-Policy" not in static


def test_the_letter_preview_allows_its_own_style_sheet_by_hash(client, pm_a, world_a, org_a):
    login(client, pm_a)
    url = reverse("port-order-loa-preview", args=[org_a.slug, world_a["port_order"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert _policy(response)["style-src"] == ["'self'", *style_hashes(response.content.decode())]
    assert len(style_hashes(response.content.decode())) == 1
