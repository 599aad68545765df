"""The built page and its assets, served from the package with strict headers.

``scripts/build-ui`` builds ``ui/`` (Vite) into ``shipyard/ui/static``, which
ships in the wheel: users need no Node.js, and the page loads nothing from
outside the server. Assets are indexed once at start-up, so a request names a
file from that index, never a path on disk.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import Response

from shipyard.core.errors import NotFound

__all__ = ["CSP", "STATIC", "Assets", "secured"]

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
          ".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2"}  # fmt: skip
NOT_BUILT = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Shipyard</title></head><body><main><h1>Shipyard</h1>
<p>The web UI is not built in this installation. From a source checkout, run
<code>scripts/build-ui</code> (it needs Node.js and npm), then restart.</p>
<p>The API is at <a href="/docs">/docs</a>.</p></main></body></html>
"""


def secured(response: Response) -> Response:
    """The page's security headers on a response of the UI."""
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class Assets:
    """The files of one build, read into memory when the server starts (they are small)."""

    def __init__(self, folder: Path = STATIC) -> None:
        index = folder / "index.html"
        self.index_html = index.read_bytes() if index.is_file() else None
        self.files: dict[str, tuple[bytes, str]] = {}
        assets = folder / "assets"
        if assets.is_dir():
            for path in assets.iterdir():
                if path.is_file() and not path.is_symlink():
                    kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
                    self.files[path.name] = (path.read_bytes(), kind or "application/octet-stream")

    @property
    def built(self) -> bool:
        return self.index_html is not None

    def index(self) -> Response:
        body = self.index_html if self.index_html is not None else NOT_BUILT
        response = Response(body, media_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        return secured(response)

    def asset(self, name: str) -> Response:
        found = self.files.get(name)
        if found is None:
            raise NotFound(f"no asset {name[:100]!r}")
        body, kind = found
        response = Response(body, media_type=kind)
        # Vite puts a content hash in every asset name: a name always means these bytes.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return secured(response)
