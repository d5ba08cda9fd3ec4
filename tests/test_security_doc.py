"""docs/security.md stays true: every test it names exists (and so runs in `make test`),
and every defence section is there."""

import re
from pathlib import Path

from django.conf import settings

REPO = Path(settings.BASE_DIR)
DOC = REPO / "docs" / "security.md"


def test_every_test_the_security_page_names_exists():
    text = DOC.read_text()
    named = set(re.findall(r"\btests/[\w/]+\.py\b", text))
    assert len(named) >= 15, named
    missing = sorted(path for path in named if not (REPO / path).is_file())
    assert missing == [], f"docs/security.md names tests that do not exist: {missing}"
    # Each is a test module pytest collects (testpaths = tests, python_files = test_*.py),
    # or the browser fixture that makes every browser test check the policy.
    for path in named:
        assert Path(path).name.startswith("test_") or path == "tests/browser.py", path


def test_the_security_page_covers_the_threat_model_and_each_defence():
    text = DOC.read_text()
    for heading in (
        "## Threat model",
        "### Tenant isolation",
        "### A second wall: row-level security on PostgreSQL",
        "### Portal links",
        "### API tokens",
        "### Sign-in: throttling, two-factor, single sign-on",
        "### The browser: Content-Security-Policy and headers",
        "### API errors",
        "### Hostile uploads and values",
        "### Logs",
        "### Outbound webhooks (SSRF)",
        "### Lost updates",
        "### Infrastructure faults",
    ):
        assert heading in text, heading
    # The policy the page quotes is the one the settings send.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    quoted = re.search(r"```\n(default-src.*?)```", text, re.DOTALL).group(1)
    for name, values in directives.items():
        # (The nonce is added per response, only where a page uses one.)
        shown = " ".join(v for v in values if isinstance(v, str))
        assert f"{name} {shown}" in " ".join(quoted.split()), name
