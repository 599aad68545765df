"""A real OpenID provider for the single sign-on tests: panva's certified ``oidc-provider``.

``tests/tools/oidc/provider.mjs`` runs it under Node (``scripts/checkers`` installs it).
The provider signs with a key this module makes, so tests can also forge tokens
with that key (wrong issuer, audience, expiry, nonce) or with another key.
The user is played over HTTP: :meth:`Provider.sign_in` follows the redirects of an
authorization request to the provider's login form and posts a user name;
:meth:`Provider.confirm_device` opens the device page and confirms its code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shipyard.core.oidc_config import OidcConfig, RoleGrant
from tests.serverkit import free_port

TOOL = Path(__file__).resolve().parents[1] / "tools" / "oidc"
CLIENT_ID = "shipyard-test"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
SECRET_ENV = "SHIPYARD_TEST_OIDC_SECRET"
KID = "test-key-1"
ACCOUNTS = {
    "alice": {"groups": ["ml-team"], "email": "alice@example.com"},
    "carol": {"groups": ["ml-team", "ml-leads"], "email": "carol@example.com"},
    "dave": {"groups": ["marketing"], "email": "dave@example.com"},
    "erin": {"groups": ["ml-team"], "username": "bad name!"},
}
ROLES = {
    "ml-team": (RoleGrant("churn", "contributor"),),
    "ml-leads": (RoleGrant("churn", "maintainer"), RoleGrant("fraud", "viewer")),
}
REDIRECT = "http://testserver/ui/sso/callback"
"""The server's callback as a ``TestClient`` sees it (the only one registered)."""
_INPUT = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"/?>')


@dataclass
class Provider:
    issuer: str
    private_key: rsa.RSAPrivateKey
    ui_port: int
    """A free port whose ``/ui/sso/callback`` is registered too: for a server a real
    browser signs in to (tests/ui/test_sso_browser.py)."""

    def config(self, **changes: Any) -> OidcConfig:
        values: dict[str, Any] = {
            "issuer": self.issuer, "client_id": CLIENT_ID, "client_secret_env": SECRET_ENV,
            "roles": ROLES,
        }  # fmt: skip
        return OidcConfig(**(values | changes))

    def forge(self, key: Any = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        """An ID token signed with the provider's key (or ``key``), claims overridable."""
        now = int(time.time())
        body = {"iss": self.issuer, "sub": "alice", "aud": CLIENT_ID, "iat": now,
                "exp": now + 300, "nonce": "n-1", "preferred_username": "alice",
                "groups": ["ml-team"]} | claims  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.private_key, algorithm="RS256",
                          headers={"kid": KID} | (headers or {}))  # fmt: skip

    def sign_in(self, browser: httpx.Client, authorize_url: str, login: str) -> httpx.Response:
        """Play the user at the provider: open ``authorize_url``, sign in as ``login``, and
        return the provider's last answer (the redirect back to the client, not followed)."""
        answer = browser.get(authorize_url, follow_redirects=True)
        answer.raise_for_status()
        interaction = str(answer.url)
        assert "/interaction/" in interaction, answer.text[:300]
        answer = browser.post(interaction, data={"login": login})
        while answer.is_redirect and str(answer.headers["location"]).startswith(self.issuer):
            answer = browser.get(answer.headers["location"])
        return answer

    def confirm_device(self, browser: httpx.Client, link: str, login: str) -> str:
        """Open the device link, confirm its code, sign in as ``login``; the final page."""
        answer = browser.get(link)  # an auto-submitted form: its fields, posted by hand
        fields = dict(_INPUT.findall(answer.text))
        answer = browser.post(f"{self.issuer}/device", data=fields)  # the confirmation page
        fields = dict(_INPUT.findall(answer.text))
        assert fields.get("confirm") == "yes", answer.text[:300]
        answer = browser.post(f"{self.issuer}/device", data=fields, follow_redirects=True)
        assert "/interaction/" in str(answer.url), answer.text[:300]
        answer = browser.post(str(answer.url), data={"login": login}, follow_redirects=True)
        return answer.text


def node_ready() -> bool:
    return shutil.which("node") is not None and (TOOL / "node_modules" / "oidc-provider").is_dir()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    if not node_ready():
        pytest.fail(
            "oidc-provider is not installed: run scripts/checkers (npm ci in tests/tools/oidc)"
        )
    folder = tmp_path_factory.mktemp("oidc")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key)) | {"kid": KID, "use": "sig", "alg": "RS256"}
    port, ui_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "port": port, "accounts": ACCOUNTS, "jwks": {"keys": [jwk]},
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                   "redirect_uris": [REDIRECT,
                                     f"http://127.0.0.1:{ui_port}/ui/sso/callback"]},
    }  # fmt: skip
    (folder / "config.json").write_text(json.dumps(config))
    log = folder / "provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(TOOL / "provider.mjs"), str(folder / "config.json")],
            stdout=out, stderr=subprocess.STDOUT, cwd=TOOL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"oidc-provider did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Provider(issuer, key, ui_port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
