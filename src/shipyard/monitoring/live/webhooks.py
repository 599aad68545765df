"""Posting a breach (or its resolution) to webhooks, Slack-compatible.

The body is what Slack's incoming webhooks take — ``{"text": …, "blocks":
[…]}`` — plus a ``shipyard`` object with the machine-readable summary, which
Slack ignores and other receivers (Mattermost, Teams workflows, your own)
can read. Each post has a timeout and is retried on connection errors, 429
and 5xx with exponential back-off; a 4xx other than 429 is not retried.
Posting never raises: the outcome says what happened. Webhook URLs carry
secrets, so configurations name them as ``env:VARIABLE``, and only the host
is ever shown or audited.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shipyard.core.errors import ConfigError

if TYPE_CHECKING:
    from shipyard.monitoring.live.result import MonitorResult

__all__ = ["WebhookOutcome", "post_all", "post_webhook", "resolve_url", "slack_payload", "where"]

TIMEOUT_S = 5.0
ATTEMPTS = 3
BACKOFF_S = 0.5


@dataclass(frozen=True)
class WebhookOutcome:
    target: str
    """The webhook's host (never the full URL: it holds the secret)."""
    ok: bool
    status: int | None
    attempts: int
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "webhook": self.target, "ok": self.ok, "status": self.status,
            "attempts": self.attempts, "error": self.error,
        }  # fmt: skip


def resolve_url(spec: str) -> str:
    """``env:NAME`` (or ``$NAME``) → that variable's value; a URL as it is."""
    name = spec[4:] if spec.startswith("env:") else spec[1:] if spec.startswith("$") else None
    url = os.environ.get(name, "") if name is not None else spec
    if name is not None and not url:
        raise ConfigError(f"the webhook variable {name} is not set")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError(f"a webhook must be an http(s) URL (got one for {where(url)!r})")
    return url


def where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float = TIMEOUT_S,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF_S,
) -> WebhookOutcome:
    body = json.dumps(payload, default=str).encode()
    status: int | None = None
    error: str | None = None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked by resolve_url
            url, body, {"Content-Type": "application/json", "User-Agent": "shipyard-monitor"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status = response.status
                return WebhookOutcome(where(url), True, status, attempt)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                return WebhookOutcome(where(url), False, status, attempt, error)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            status, error = None, f"{type(reason).__name__}: {reason}"
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return WebhookOutcome(where(url), False, status, attempts, error)


def post_all(urls: list[str], payload: dict[str, Any], **options: float) -> list[WebhookOutcome]:
    """Post to every URL at once (one slow receiver does not delay the others)."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        futures = [pool.submit(post_webhook, url, payload, **options) for url in urls]  # type: ignore[arg-type]
        return [f.result() for f in futures]


def slack_payload(result: MonitorResult, *, resolved: bool) -> dict[str, Any]:
    """The message: one line of text, a few blocks, and the summary for machines."""
    name = result.monitor
    if resolved:
        title = f":white_check_mark: Shipyard monitor {name}: back to normal"
        lines = [f"No threshold crossed in the last window of *{result.model}*."]
    else:
        kinds = ", ".join(result.breach_kinds)
        title = f":rotating_light: Shipyard monitor {name}: {kinds}"
        lines = [f"• {b.message}" for b in result.breaches]
    window = f"{result.window_start:%Y-%m-%d %H:%M} – {result.window_end:%Y-%m-%d %H:%M} UTC"
    context = f"model {result.model} · {result.rows:,} rows · window {window}"
    return {
        "text": f"{title} — " + "; ".join(line.lstrip("• ") for line in lines),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
        "shipyard": {
            "monitor": name,
            "model": result.model,
            "event": "resolved" if resolved else "breach",
            "breaches": result.breach_kinds,
            "window": {
                "start": result.window_start.isoformat(),
                "end": result.window_end.isoformat(),
            },
            "rows": result.rows,
            "gauges": result.gauges(),
        },
    }
