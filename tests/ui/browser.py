"""Drive a real browser from a test: Playwright on Debian's chromium, in its own venv.

Playwright's Python package lives in ``tests/tools/.venv-browser`` (scripts/checkers),
never in the project venv, and the browser is Debian's ``/usr/bin/chromium``
(scripts/ensure-services): Playwright's own browser downloads are never used. So a test
does not import Playwright. It hands :func:`run_in_browser` a short script, which runs in
a subprocess of the browser venv with these names already defined:

``page``
    a Playwright ``Page`` (sync API) in a fresh headless context whose ``base_url`` is
    ``base``, so ``page.goto("/runs")`` works; default timeouts are 60 s (a busy machine
    must not fail a test).
``base``
    the base URL given to :func:`run_in_browser`.
``expect``
    Playwright's auto-waiting assertions (``expect(locator).to_have_text(...)``).
``shot(name)``
    saves a full-page PNG screenshot as ``<out_dir>/<name>.png`` and returns its path.
``axe()``
    runs axe-core on the current page; returns its violations of impact ``serious`` or
    ``critical`` as ``[{"id", "impact", "help", "targets"}]``.
``report(key, value)``
    hands a JSON-able value back: :func:`run_in_browser` returns the reported dict.

Two keys are always in the returned dict: ``console_errors`` (the console's errors
and the pages' uncaught exceptions, as text) and ``csp_violations`` (every
``securitypolicyviolation`` event, as ``{"directive", "blocked", "document"}``). A
failing script (an exception, a Playwright timeout) raises AssertionError carrying its
traceback and what had been collected.

Content-Security-Policy: the UI is served with ``script-src 'self'``, and the page's
policy stays in force for everything the page itself does, so an inline script or an
``eval`` in the app is blocked and shows up in ``csp_violations`` (and as a console
error). The helpers work around it without loosening it, as tests/ui/test_browser_smoke.py
checks on a page served with the policy:

* ``page.add_script_tag(path=...)`` would not do for axe: it inserts an inline
  ``<script>``, which the policy blocks (Playwright raises, a violation is reported).
  ``bypass_csp=True`` on the context would switch the policy off for the whole test.
  ``axe()`` instead evaluates axe.min.js with ``page.evaluate``: code that Playwright
  evaluates through the DevTools protocol is exempt from the page's CSP, and nothing of
  the page's policy is relaxed.
* The ``securitypolicyviolation`` listener is a context init script (also run through
  the DevTools protocol, so exempt) that calls a binding exposed with
  ``context.expose_binding``; it reports from every page and across navigations.

Example::

    result = run_in_browser(
        '''
        page.goto("/")
        page.get_by_role("button", name="Refresh").click()
        expect(page.locator("#status")).to_have_text("ok")
        report("rows", page.locator("tbody tr").count())
        shot("runs")
        report("axe", axe())
        ''',
        base_url=server_url,
        out_dir=tmp_path,
    )
    assert result["rows"] == 3
    assert result["axe"] == [] and result["console_errors"] == []
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
VENV_PYTHON = TOOLS / ".venv-browser" / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = TOOLS / "axe" / "node_modules" / "axe-core" / "axe.min.js"

#: Keys run_in_browser always fills; a script cannot report under them.
COLLECTED = ("console_errors", "csp_violations")


def skip_reason() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    if not VENV_PYTHON.exists():
        return f"the browser venv {VENV_PYTHON.parents[1]} is absent: run scripts/checkers"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent: run scripts/ensure-services (Debian package chromium)"
    return None


def browser_available() -> bool:
    """Whether Playwright's venv and Debian's chromium are both installed."""
    return skip_reason() is None


#: Mark a test (or a module, as ``pytestmark``) that needs the browser: it is skipped,
#: with the reason, where scripts/checkers or scripts/ensure-services did not run.
requires_browser = pytest.mark.skipif(
    not browser_available(), reason=skip_reason() or "browser available"
)


def run_in_browser(script: str, base_url: str, out_dir: Path, timeout: float = 180) -> dict:
    """Run ``script`` (see the module's docstring) against ``base_url``; return the
    values it reported, with ``console_errors`` and ``csp_violations``.

    Screenshots go to ``out_dir`` (created if needed). Raises AssertionError with the
    script's traceback when it fails, or when it outlives ``timeout`` seconds.
    """
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Playwright's and chromium's temporary files (the profile) go into the scratch
    # folder too, so that a script killed on its timeout leaves nothing behind.
    with tempfile.TemporaryDirectory(
        prefix="shipyard-browser-", ignore_cleanup_errors=True
    ) as scratch:
        work = Path(scratch)
        script_path = work / "script.py"
        script_path.write_text(textwrap.dedent(script))
        config = {
            "base": base_url,
            "out_dir": str(out_dir),
            "script": str(script_path),
            "report": str(work / "report.json"),
            "chromium": str(CHROMIUM),
            "axe": str(AXE_JS),
        }
        (work / "config.json").write_text(json.dumps(config))
        command = [str(VENV_PYTHON), "-c", _RUNNER, str(work / "config.json")]
        process = _run(command, {**os.environ, "TMPDIR": scratch}, timeout)
        report_path = Path(config["report"])
        reported = json.loads(report_path.read_text()) if report_path.exists() else {}
    if process.returncode != 0:
        collected = {key: reported.get(key) for key in COLLECTED}
        raise AssertionError(
            f"the browser script failed (exit {process.returncode}):\n{process.stderr}\n"
            f"collected: {json.dumps(collected, indent=1)}\nstdout:\n{process.stdout}"
        )
    return reported


def _run(
    command: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in a session of its own; past ``timeout`` seconds kill that session
    (Python and the Playwright driver) and raise AssertionError. Chromium, which the
    driver starts in a session of its own, exits when its DevTools pipe closes."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"the browser script ran past {timeout:g} s and was killed:\n{stderr}\n"
            f"stdout:\n{stdout}"
        ) from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# Runs in the browser venv (Playwright, no Shipyard, no pytest). argv[1] is config.json.
_RUNNER = r'''
import json
import os
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

config = json.loads(Path(sys.argv[1]).read_text())
out_dir = Path(config["out_dir"])
TIMEOUT_MS = 60_000
COLLECTED = ("console_errors", "csp_violations")
reported = {key: [] for key in COLLECTED}

CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.__shipyardTestCsp({
        directive: event.effectiveDirective || event.violatedDirective,
        blocked: event.blockedURI,
        document: event.documentURI,
    });
}, true);
"""


def report(key, value):
    if key in COLLECTED:
        raise ValueError(f"{key!r} is collected by the runner; report under another key")
    json.dumps(value)  # not JSON-able: fail here, on the script's line
    reported[key] = value


def on_console(message):
    if message.type == "error":
        where = message.location.get("url") or ""
        reported["console_errors"].append(f"{message.text} ({where})" if where else message.text)


def on_web_error(error):
    reported["console_errors"].append(f"uncaught: {error.error}")


def main(pw):
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    browser = pw.chromium.launch(
        executable_path=config["chromium"], headless=True, args=args, timeout=120_000
    )
    try:
        context = browser.new_context(base_url=config["base"])
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        context.on("console", on_console)
        context.on("weberror", on_web_error)
        context.expose_binding(
            "__shipyardTestCsp", lambda source, event: reported["csp_violations"].append(event)
        )
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()

        def shot(name):
            path = out_dir / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            return str(path)

        def axe():
            source = Path(config["axe"])
            if not source.exists():
                raise FileNotFoundError(f"{source} is absent: run scripts/checkers")
            if not page.evaluate("() => typeof window.axe === 'object'"):
                # Through the DevTools protocol: exempt from the page's CSP (a <script>
                # tag, as add_script_tag makes, would be blocked by script-src 'self').
                page.evaluate("() => {\n" + source.read_text() + "\n}")
            return page.evaluate(
                """async () => {
                    const result = await axe.run(document, {resultTypes: ["violations"]});
                    return result.violations
                        .filter((v) => v.impact === "serious" || v.impact === "critical")
                        .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map((n) => n.target.join(" "))}));
                }"""
            )

        names = {
            "__name__": "__browser_script__",
            "page": page,
            "base": config["base"],
            "expect": expect,
            "shot": shot,
            "axe": axe,
            "report": report,
        }
        script = Path(config["script"])
        exec(compile(script.read_text(), str(script), "exec"), names)
        if not page.is_closed():
            # A round trip through the page's task queue, so that console messages and
            # violation events of the script's last action have arrived.
            page.evaluate("() => new Promise((done) => setTimeout(done, 0))")
    finally:
        browser.close()


try:
    with sync_playwright() as pw:
        main(pw)
finally:
    Path(config["report"]).write_text(json.dumps(reported))
'''
