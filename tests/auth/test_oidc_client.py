"""ID tokens checked against a real provider's keys; codes, PKCE and an unreachable provider."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shipyard.auth.oidc_client import JWKS_MIN_REFRESH, OidcClient
from shipyard.core.errors import Unauthenticated, Unavailable
from shipyard.core.oidc_config import OidcConfig
from tests.auth.oidckit import (
    CLIENT_SECRET,
    REDIRECT,
    SECRET_ENV,
    Provider,
)
from tests.serverkit import free_port


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)


@pytest.fixture
def opened() -> Iterator[list[OidcClient]]:
    clients: list[OidcClient] = []
    yield clients
    for client in clients:
        client.close()


def _client(opened: list[OidcClient], config: OidcConfig, **options: Any) -> OidcClient:
    opened.append(OidcClient(config, **options))
    return opened[-1]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _counting(paths: list[str]) -> httpx.Client:
    return httpx.Client(timeout=10.0, event_hooks={"request": [lambda r: paths.append(r.url.path)]})


def test_a_token_the_provider_signed_is_accepted_with_its_claims(
    oidc_provider: Provider, opened: list[OidcClient]
) -> None:
    client = _client(opened, oidc_provider.config())
    claims = client.validate_id_token(oidc_provider.forge(), nonce="n-1")
    assert (claims["sub"], claims["groups"]) == ("alice", ["ml-team"])


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "has expired"),
        ({"iss": "https://evil.example.com"}, "issued by another provider"),
        ({"aud": "another-client"}, "issued to another client"),
        ({"aud": ["shipyard-test", "other"], "azp": "other"}, "issued to another client"),
        ({"nonce": "replayed"}, "nonce does not match"),
        ({"nonce": None}, "nonce does not match"),
        ({"sub": None}, "not valid"),
    ],
)
def test_a_token_with_a_wrong_claim_is_refused_naming_it(
    oidc_provider: Provider, opened: list[OidcClient], claims: dict[str, object], message: str
) -> None:
    client = _client(opened, oidc_provider.config())
    with pytest.raises(Unauthenticated, match=message) as caught:
        client.validate_id_token(oidc_provider.forge(**claims), nonce="n-1")
    assert "eyJ" not in str(caught.value)  # never the token itself


def test_a_token_signed_by_another_key_is_refused(
    oidc_provider: Provider, opened: list[OidcClient]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client = _client(opened, oidc_provider.config())
    with pytest.raises(Unauthenticated, match="signature does not verify"):
        client.validate_id_token(oidc_provider.forge(key=other), nonce="n-1")


def test_algorithms_outside_the_allow_list_are_refused(
    oidc_provider: Provider, opened: list[OidcClient]
) -> None:
    client = _client(opened, oidc_provider.config())
    body = {"iss": oidc_provider.issuer, "sub": "alice", "aud": "shipyard-test",
            "iat": int(time.time()), "exp": int(time.time()) + 60, "nonce": "n-1"}  # fmt: skip
    unsigned = jwt.encode(body, key=None, algorithm="none")
    with pytest.raises(Unauthenticated, match="algorithm 'none' is not allowed"):
        client.validate_id_token(unsigned, nonce="n-1")
    # HMAC keyed with something public (the classic RS256→HS256 confusion)
    hmac = jwt.encode(body, "a-public-key-used-as-an-hmac-secret-32b", algorithm="HS256")
    with pytest.raises(Unauthenticated, match="algorithm 'HS256' is not allowed"):
        client.validate_id_token(hmac, nonce="n-1")
    with pytest.raises(Unauthenticated, match="not a signed JWT"):
        client.validate_id_token("not.a.jwt", nonce="n-1")


def test_keys_are_cached_and_refreshed_once_for_an_unknown_key_id(
    oidc_provider: Provider,
    opened: list[OidcClient],
) -> None:
    paths: list[str] = []
    clock = Clock()
    client = _client(opened, oidc_provider.config(), http=_counting(paths), clock=clock)
    for _ in range(3):
        client.validate_id_token(oidc_provider.forge(), nonce="n-1")
    assert paths.count("/jwks") == 1  # cached
    clock.now += JWKS_MIN_REFRESH
    with pytest.raises(Unauthenticated, match="key the provider does not list"):
        client.validate_id_token(oidc_provider.forge(headers={"kid": "rotated"}), nonce="n-1")
    assert paths.count("/jwks") == 2  # an unknown key id: the keys were fetched again
    for _ in range(5):  # forged key ids do not make the server hammer the provider
        with pytest.raises(Unauthenticated):
            client.validate_id_token(oidc_provider.forge(headers={"kid": "x"}), nonce="n-1")
    assert paths.count("/jwks") == 2


def test_a_code_needs_its_pkce_verifier(oidc_provider: Provider, opened: list[OidcClient]) -> None:
    client = _client(opened, oidc_provider.config())
    verifier = "v" * 50
    url = client.authorization_url(state="s", nonce="n", verifier=verifier, redirect=REDIRECT)
    with httpx.Client() as browser:
        back = oidc_provider.sign_in(browser, url, "alice")
    code = parse_qs(urlparse(back.headers["location"]).query)["code"][0]
    with pytest.raises(Unauthenticated, match=r"refused the sign-in \(invalid_grant\)") as caught:
        client.exchange_code(code=code, verifier="w" * 50, redirect=REDIRECT)
    assert code not in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)
    with pytest.raises(Unauthenticated, match="refused the sign-in"):
        client.exchange_code(code=code, verifier="", redirect=REDIRECT)


def test_a_provider_that_is_down_or_misconfigured_is_unavailable(
    oidc_provider: Provider, opened: list[OidcClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    down = _client(opened, oidc_provider.config(issuer=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(Unavailable, match="unreachable or failing"):
        down.start_device()
    other_name = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(Unavailable, match="names another issuer"):
        _client(opened, oidc_provider.config(issuer=other_name)).metadata()
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(Unavailable, match="client secret is missing") as caught:
        _client(opened, oidc_provider.config()).start_device()
    assert caught.value.hint == f"set the variable {SECRET_ENV} where `shipyard server` runs"
