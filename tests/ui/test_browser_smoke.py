"""The browser-test harness itself (tests/ui/browser.py), on a tiny local site.

A stdlib HTTP server on 127.0.0.1 serves pages under the UI's strict
Content-Security-Policy, and real chromium (Debian's, through Playwright) loads them:
the page's own script runs, clicks work, screenshots are PNGs, axe reports what it
should, and an inline script is reported as a CSP violation.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser

pytestmark = requires_browser

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def _page(body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<title>Shipyard smoke</title><script src="/app.js" defer></script></head>'
        f"<body><main><h1>Smoke</h1>{body}</main></body></html>"
    ).encode()


SITE: dict[str, tuple[str, bytes]] = {
    "/": (
        "text/html; charset=utf-8",
        _page(
            '<p id="greeting">static</p><p id="clicks">none</p>'
            '<button type="button" id="go">Press</button>'
            f'<img src="{PIXEL}" alt="a white pixel">'
        ),
    ),
    "/app.js": (
        "text/javascript",
        b'document.getElementById("greeting").textContent = "set by app.js";\n'
        b'document.getElementById("go").addEventListener("click", () => {\n'
        b'  document.getElementById("clicks").textContent = "pressed";\n'
        b"});\n",
    ),
    "/no-alt": ("text/html; charset=utf-8", _page(f'<img src="{PIXEL}">')),
    "/inline": (
        "text/html; charset=utf-8",
        _page('<p id="mark">untouched</p><script>document.title = "inline ran";</script>'),
    ),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        content_type, body = SITE.get(self.path, ("text/plain", b"not found"))
        self.send_response(200 if self.path in SITE else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_page_under_the_strict_csp_runs_its_script_and_takes_clicks(
    site: str, tmp_path: Path
) -> None:
    result = run_in_browser(
        """
        page.goto("/")
        expect(page.locator("#greeting")).to_have_text("set by app.js")
        page.get_by_role("button", name="Press").click()
        expect(page.locator("#clicks")).to_have_text("pressed")
        report("greeting", page.text_content("#greeting"))
        report("clicks", page.text_content("#clicks"))
        report("base", base)
        report("screenshot", shot("home"))
        report("axe", axe())
        """,
        site,
        tmp_path / "shots",
    )
    assert result["greeting"] == "set by app.js"
    assert result["clicks"] == "pressed"
    assert result["base"] == site
    screenshot = Path(result["screenshot"])
    assert screenshot == tmp_path / "shots" / "home.png"
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert result["axe"] == []
    assert result["console_errors"] == []
    assert result["csp_violations"] == []


def test_axe_reports_an_image_without_alt_text(site: str, tmp_path: Path) -> None:
    result = run_in_browser(
        """
        page.goto("/no-alt")
        report("axe", axe())
        """,
        site,
        tmp_path,
    )
    assert isinstance(result["axe"], list)
    assert [v["id"] for v in result["axe"]] == ["image-alt"]
    assert result["axe"][0]["impact"] in ("serious", "critical")
    assert result["axe"][0]["targets"] == ["img"]
    # axe ran without loosening the page's CSP: nothing was blocked on the way.
    assert result["csp_violations"] == []


def test_an_inline_script_is_reported_as_a_csp_violation(site: str, tmp_path: Path) -> None:
    result = run_in_browser(
        """
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.goto("/inline")
        report("title", page.title())
        """,
        site,
        tmp_path,
    )
    assert result["title"] == "Shipyard smoke"  # the inline script did not run
    assert [(v["directive"], v["blocked"]) for v in result["csp_violations"]] == [
        ("script-src-elem", "inline")
    ]
    assert result["csp_violations"][0]["document"] == f"{site}/inline"
    assert any("Content Security Policy" in e for e in result["console_errors"])


def test_a_failing_script_raises_with_its_traceback_and_what_was_collected(
    site: str, tmp_path: Path
) -> None:
    with pytest.raises(AssertionError) as failure:
        run_in_browser(
            """
            page.goto("/")
            page.evaluate("() => { throw new Error('boom from the page') }")
            """,
            site,
            tmp_path,
        )
    message = str(failure.value)
    assert "boom from the page" in message
    assert "script.py" in message  # the traceback points into the test's script
    assert "console_errors" in message
