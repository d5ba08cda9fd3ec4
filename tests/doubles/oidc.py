"""A small OpenID Connect provider for the tests, over real HTTP on 127.0.0.1: what
Microsoft Entra ID and Google Workspace answer, and no more (docs/accounts.md).

- GET  /.well-known/openid-configuration  the discovery document
- GET  /authorize   signs in whoever `sign_in_as()` named and redirects back with a code
                    (checks the client id and the redirect URI; keeps state, nonce and
                    the PKCE challenge)
- POST /token       the code for an access token and an RS256-signed id_token (checks
                    the client secret, sent in the body or as Basic, and PKCE S256)
- GET  /userinfo    the claims, for the Bearer access token
- GET  /jwks        the public key

    with OIDCProvider(client_id="app", client_secret="s3cret") as idp:
        idp.sign_in_as(sub="123", email="ana@northwind.example", name="Ana")
        ...  # the issuer URL is idp.issuer
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class OIDCProvider:
    def __init__(self, *, client_id: str, client_secret: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.user: dict | None = None
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.token_requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- the test's side ---------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sign_in_as(self, *, sub: str, email: str, name: str = "", email_verified=True,
                   preferred_username: str | None = None) -> None:  # fmt: skip
        self.user = {
            "sub": sub, "email": email, "email_verified": email_verified, "name": name,
            "given_name": name.split(" ")[0] if name else "",
            "family_name": name.split(" ")[-1] if " " in name else "",
            "preferred_username": preferred_username or email,
        }  # fmt: skip

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # -- the provider's side -----------------------------------------------------------

    def discovery(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def authorize(self, query: dict) -> tuple[int, dict, bytes]:
        one = {k: v[0] for k, v in query.items()}
        if one.get("client_id") != self.client_id:
            return 400, {}, b"unknown client_id"
        if one.get("response_type") != "code" or "openid" not in one.get("scope", "").split():
            return 400, {}, b"bad request"
        if self.user is None:
            return 401, {}, b"nobody signed in"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "user": dict(self.user), "nonce": one.get("nonce"),
            "redirect_uri": one["redirect_uri"], "challenge": one.get("code_challenge"),
            "login_hint": one.get("login_hint"),
        }  # fmt: skip
        back = urlencode({"code": code, "state": one.get("state", "")})
        target = f"{one['redirect_uri']}?{back}"
        return 302, {"Location": target}, b""

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        one = {k: v[0] for k, v in form.items()}
        client_id, client_secret = one.get("client_id"), one.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = (
                base64.b64decode(authorization[6:]).decode().partition(":")
            )
        self.token_requests.append({"client_id": client_id, "client_secret": client_secret})
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(one.get("code", ""), None)
        if grant is None or one.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        if grant["challenge"]:
            verifier = one.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {**grant["user"], "iss": self.issuer, "aud": self.client_id, "iat": now,
                  "exp": now + 300}  # fmt: skip
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant["user"]
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}  # fmt: skip

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, body=b"", headers=None, content_type="application/json"):
                if isinstance(body, dict):
                    body = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                provider.requests.append(("GET", url.path))
                if url.path == "/.well-known/openid-configuration":
                    return self._send(200, provider.discovery())
                if url.path == "/jwks":
                    return self._send(200, provider.jwks())
                if url.path == "/authorize":
                    status, headers, body = provider.authorize(parse_qs(url.query))
                    return self._send(status, body, headers, "text/plain")
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    user = provider.tokens.get(token)
                    return self._send(200, user) if user else self._send(401, {})
                return self._send(404, {})

            def do_POST(self):
                url = urlparse(self.path)
                provider.requests.append(("POST", url.path))
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                if url.path == "/token":
                    status, body = provider.token(form, self.headers.get("Authorization", ""))
                    return self._send(status, body)
                return self._send(404, {})

        return Handler
