"""Headers for HTML documents the API serves (model cards, drift reports).

Such a page is built from user-supplied text. It is escaped when rendered, and
these headers are a second barrier: ``sandbox`` without ``allow-scripts`` gives
the page an opaque origin that runs no script, so nothing in it can act in the
UI's origin or read its session cookie. The page's own CSS and SVG are inline;
everything else is refused.
"""

from __future__ import annotations

__all__ = ["SANDBOX_CSP", "SANDBOX_HEADERS"]

SANDBOX_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SANDBOX_HEADERS = {
    "Content-Security-Policy": SANDBOX_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}
