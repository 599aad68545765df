"""The embedded workspace: the ``.shipyard/`` folder, its config file, and finding it."""
