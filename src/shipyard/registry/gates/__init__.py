"""Promotion gates: checks a version must pass before an alias moves to it.

``policy.py`` reads ``[gates.<alias>]`` from config.toml, ``checks.py`` holds
one function per gate, ``scoring.py`` scores a model on a labelled file,
``promote.py`` evaluates them all and moves the alias only if every one passed.
"""
