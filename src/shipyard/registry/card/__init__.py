"""Model cards: ``build.py`` gathers what the registry knows, ``render.py`` writes it."""
