"""The team server as an OpenID Connect client: discovery, JWKS, codes, device flow.

One :class:`OidcClient` per server process caches the provider's discovery
document and its signing keys; a token signed with a key id the cache does not
know refreshes the keys once (the provider rotated them), at most every
``JWKS_MIN_REFRESH`` seconds so that forged key ids cannot make the server
hammer the provider. ID tokens are checked here: signature with an allowed
asymmetric algorithm, issuer, audience (and ``azp``), expiry, and the nonce.

Errors never carry a token, a code or the client secret: a provider that cannot
be reached is :class:`Unavailable` (503), a refused code or a bad token is
:class:`Unauthenticated` (401).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from shipyard.core.errors import Unauthenticated, Unavailable
from shipyard.core.oidc_config import OidcConfig

__all__ = ["DEVICE_GRANT", "DeviceStart", "OidcClient", "pkce_challenge"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
METADATA_TTL = 3600.0
JWKS_MIN_REFRESH = 10.0
LEEWAY_S = 30
"""Clock skew tolerated between the provider and this server."""


@dataclass(frozen=True)
class DeviceStart:
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        config: OidcConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``http`` is the client the provider is reached with; ``clock`` times the caches."""
        self.config = config
        self.http = http or httpx.Client(timeout=10.0)
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_at: float | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OidcClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the provider's documents --------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The discovery document, whose issuer must be the configured one."""
        if self._metadata is None or self.clock() - self._metadata_at > METADATA_TTL:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            document = self._get_json(url)
            if document.get("issuer") != self.config.issuer:
                raise Unavailable(
                    "the OpenID provider's discovery document names another issuer",
                    hint="set server.oidc.issuer to the provider's exact issuer URL",
                )
            self._metadata, self._metadata_at = document, self.clock()
        return self._metadata

    def _endpoint(self, name: str) -> str:
        url = self.metadata().get(name)
        if not isinstance(url, str) or not url:
            raise Unavailable(f"the OpenID provider offers no {name.replace('_', ' ')}")
        return url

    def _key(self, kid: str | None) -> jwt.PyJWK:
        if kid in self._keys:
            return self._keys[kid]
        now = self.clock()
        if self._keys_at is None or now - self._keys_at >= JWKS_MIN_REFRESH:
            keys: dict[str, jwt.PyJWK] = {}
            for entry in self._get_json(self._endpoint("jwks_uri")).get("keys", []):
                if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                    continue
                try:
                    keys[str(entry.get("kid"))] = jwt.PyJWK(entry)
                except jwt.PyJWTError:  # a key type this server cannot use: skip it
                    continue
            self._keys, self._keys_at = keys, now
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise Unauthenticated("the ID token is signed with a key the provider does not list")
        return self._keys[kid]

    # -- ID tokens -----------------------------------------------------------------------

    def validate_id_token(self, token: str, *, nonce: str | None) -> dict[str, Any]:
        """The claims of a valid ID token; :class:`Unauthenticated` names what is wrong."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the ID token is not a signed JWT") from None
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise Unauthenticated(f"the ID token's signature algorithm {alg!r} is not allowed")
        key = self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[alg], audience=self.config.client_id,
                issuer=self.config.issuer, leeway=LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the ID token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the ID token was issued to another client") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the ID token was issued by another provider") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the ID token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the ID token is not valid: {type(exc).__name__}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise Unauthenticated("the ID token was issued to another client")
        if nonce is not None and claims.get("nonce") != nonce:
            raise Unauthenticated("the ID token's nonce does not match this sign-in")
        return claims

    # -- the authorization code flow -----------------------------------------------------

    def authorization_url(self, *, state: str, nonce: str, verifier: str, redirect: str) -> str:
        query = {
            "response_type": "code", "client_id": self.config.client_id,
            "redirect_uri": redirect, "scope": self.config.scopes, "state": state,
            "nonce": nonce, "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }  # fmt: skip
        return f"{self._endpoint('authorization_endpoint')}?{urlencode(query)}"

    def exchange_code(self, *, code: str, verifier: str, redirect: str) -> dict[str, Any]:
        """The token answer for an authorization code and its PKCE verifier."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                "code_verifier": verifier}  # fmt: skip
        answer, status = self._token_request(form)
        if status != 200:
            raise Unauthenticated(
                f"the OpenID provider refused the sign-in ({_error_code(answer)})",
                hint="start the sign-in again",
            )
        return answer

    # -- the device authorization grant --------------------------------------------------

    def start_device(self) -> DeviceStart:
        url = self._endpoint("device_authorization_endpoint")
        form = {"client_id": self.config.client_id, "scope": self.config.scopes}
        answer, status = self._post(url, form)
        if status != 200:
            raise Unavailable(
                f"the OpenID provider refused a device sign-in ({_error_code(answer)})"
            )
        try:
            return DeviceStart(
                device_code=str(answer["device_code"]), user_code=str(answer["user_code"]),
                verification_uri=str(answer["verification_uri"]),
                verification_uri_complete=answer.get("verification_uri_complete"),
                expires_in=int(answer.get("expires_in", 600)),
                interval=max(1, int(answer.get("interval", 5))),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            raise Unavailable("the OpenID provider's device answer is incomplete") from None

    def poll_device(self, device_code: str) -> dict[str, Any] | str:
        """The token answer, or the provider's word for "not yet" (``authorization_pending``,
        ``slow_down``); a denied or expired sign-in is :class:`Unauthenticated`."""
        answer, status = self._token_request({"grant_type": DEVICE_GRANT,
                                               "device_code": device_code})  # fmt: skip
        if status == 200:
            return answer
        code = _error_code(answer)
        if code in ("authorization_pending", "slow_down"):
            return code
        if code == "access_denied":
            raise Unauthenticated("the sign-in was refused at the OpenID provider")
        if code == "expired_token":
            raise Unauthenticated(
                "the sign-in code expired", hint="run `shipyard login --sso` again"
            )
        raise Unauthenticated(f"the OpenID provider refused the sign-in ({code})")

    # -- HTTP ----------------------------------------------------------------------------

    def _token_request(self, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        return self._post(self._endpoint("token_endpoint"), form)

    def _post(self, url: str, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        secret = self._secret()
        try:
            if secret:
                response = self.http.post(url, data=form, auth=(self.config.client_id, secret))
            else:  # a public client names itself in the form
                response = self.http.post(url, data={**form, "client_id": self.config.client_id})
        except httpx.HTTPError:
            raise self._down() from None
        if response.status_code >= 500:
            raise self._down()
        return _json(response), response.status_code

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url)
        except httpx.HTTPError:
            raise self._down() from None
        if response.status_code != 200:
            raise self._down()
        return _json(response)

    def _secret(self) -> str:
        name = self.config.client_secret_env
        if not name:
            return ""
        value = os.environ.get(name, "")
        if not value:
            raise Unavailable(
                "single sign-on is not set up on this server: its client secret is missing",
                hint=f"set the variable {name} where `shipyard server` runs",
            )
        return value

    def _down(self) -> Unavailable:
        return Unavailable(
            f"the OpenID provider at {self.config.issuer} is unreachable or failing",
            hint="try again later, or sign in with a user name and password",
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(answer: dict[str, Any]) -> str:
    code = answer.get("error")
    # The provider's own word, trimmed: never the request's code or token.
    return code[:60] if isinstance(code, str) and code.isascii() else "unknown error"
