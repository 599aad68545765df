"""Backups of a whole store: a consistent snapshot taken while serving, and its restore.

See docs/deploy.md ("Backup and restore").
"""
