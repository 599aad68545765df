"""Single sign-on in a real browser: the login page's button, the provider, and back.

``shipyard server`` runs in a workspace whose config.toml holds ``[server.oidc]``
(the client secret in the environment), against the real OpenID provider of
tests/auth/oidckit.py; chromium clicks "Sign in with SSO", signs in at the
provider, and lands on the app as that user.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.auth.oidckit import CLIENT_ID, CLIENT_SECRET, SECRET_ENV, Provider
from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import SHIPYARD, assert_clean, requires_build, serving

pytestmark = [requires_browser, requires_build()]


def _workspace(root: Path, provider: Provider) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([SHIPYARD, "init", "-p", "churn"], cwd=root, check=True, capture_output=True)
    with (root / ".shipyard" / "config.toml").open("a") as config:
        config.write(
            f'\n[server.oidc]\nissuer = "{provider.issuer}"\nclient_id = "{CLIENT_ID}"\n'
            f'client_secret_env = "{SECRET_ENV}"\n\n[server.oidc.roles]\n'
            '"ml-team" = {project = "churn", role = "contributor"}\n'
        )
    return root


def test_a_user_signs_in_with_sso_from_the_login_page(
    tmp_path: Path, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    root = _workspace(tmp_path / "ws", oidc_provider)
    with serving(root, "server", "--port", str(oidc_provider.ui_port)) as live:
        result = run_in_browser(
            """
            page.goto("/")
            button = page.get_by_test_id("login-sso")
            expect(button).to_have_text("Sign in with SSO")
            report("axe", axe())
            shot("login")
            button.click()
            page.locator("input[name=login]").fill("alice")
            page.locator("input[name=login]").press("Enter")
            expect(page.get_by_test_id("user-name")).to_have_text("alice")
            report("url", page.url)
            shot("signed-in")
            """,
            base_url=live.base,
            out_dir=tmp_path / "shots",
        )
    assert result["axe"] == []
    assert result["url"].startswith(live.base)
    assert_clean(result)
