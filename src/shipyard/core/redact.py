"""Keep secrets out of anything shown or logged."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["redact_uri"]

_SECRET_PARAMS = frozenset({"password", "secret", "token", "aws_secret_access_key", "sslpassword"})


def redact_uri(uri: str) -> str:
    """Return ``uri`` with any password replaced by ``***``.

    >>> redact_uri("postgresql://ann:s3cret@db:5432/ml")
    'postgresql://ann:***@db:5432/ml'
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparseable uri>"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])
    if parts.password is None:
        if query == parts.query:
            return uri
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{user}:***@{host}" + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
