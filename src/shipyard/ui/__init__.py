"""The web UI: its built assets, the browser's session (cookie, CSRF) and ``shipyard ui``."""
