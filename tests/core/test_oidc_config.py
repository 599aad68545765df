"""``[server.oidc]`` in config.toml and the environment: what is read, what is refused."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from shipyard.core.errors import ConfigError
from shipyard.core.oidc_config import RoleGrant
from shipyard.core.settings import build_settings

CONFIG = """
[server]
port = 9000

[server.oidc]
issuer = "https://login.example.com/realms/ml/"
client_id = "shipyard"
client_secret_env = "OIDC_SECRET"

[server.oidc.roles]
"ml-team" = {project = "churn", role = "contributor"}
"ml-leads" = [{project = "churn", role = "maintainer"}, {project = "fraud", role = "viewer"}]
"""


def _settings(text: str, env: dict[str, str] | None = None) -> Any:
    return build_settings(file=tomllib.loads(text), file_label="config.toml", env=env or {})


def test_the_table_is_read_beside_the_server_settings() -> None:
    settings = _settings(CONFIG)
    oidc = settings.oidc
    assert settings.server.port == 9000
    assert (oidc.issuer, oidc.client_id, oidc.groups_claim) == (
        "https://login.example.com/realms/ml", "shipyard", "groups",
    )  # fmt: skip
    assert oidc.roles["ml-leads"] == (
        RoleGrant("churn", "maintainer"),
        RoleGrant("fraud", "viewer"),
    )
    assert oidc.grants(["ml-team", "ml-leads", "other"]) == {
        "churn": "maintainer",
        "fraud": "viewer",
    }
    assert oidc.grants(["other"]) == {}
    assert _settings("[server]\nport = 1").oidc is None


def test_the_environment_sets_or_overrides_the_provider() -> None:
    env = {
        "SHIPYARD_SERVER_OIDC_ISSUER": "https://idp.example.org",
        "SHIPYARD_SERVER_OIDC_CLIENT_ID": "sy",
        "SHIPYARD_SERVER_OIDC_ALGORITHMS": "ES256",
    }
    oidc = _settings(CONFIG, env).oidc
    assert (oidc.issuer, oidc.client_id, oidc.algorithms) == ("https://idp.example.org", "sy",
                                                              ("ES256",))  # fmt: skip
    assert oidc.roles  # the mapping stays the file's
    assert build_settings(env=env).oidc.issuer == "https://idp.example.org"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[server.oidc]\nclient_id = "x"', "needs an issuer"),
        ('[server.oidc]\nissuer = "https://a.example"', "needs a client_id"),
        ('[server.oidc]\nissuer = "http://a.example"\nclient_id = "x"', "must be an https URL"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\nsecret = "s"', "unknown setting"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\nclient_secret = "s"',
         "must not hold the OpenID client secret"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\nalgorithms = ["HS256"]',
         "'HS256' is not allowed"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\nalgorithms = ["none"]',
         "'none' is not allowed"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\n[server.oidc.roles]\n'
         'g = {project = "churn", role = "admin"}', "bad role 'admin'"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\n[server.oidc.roles]\n'
         'g = {project = "../etc", role = "viewer"}', "bad project"),
        ('[server.oidc]\nissuer = "https://a"\nclient_id = "x"\n[server.oidc.roles]\n'
         'g = "viewer"', "needs a project and a role"),
    ],
)  # fmt: skip
def test_a_bad_table_is_one_config_error_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(text)
