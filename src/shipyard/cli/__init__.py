"""The ``shipyard`` command: Typer + Rich, thin over the services."""
