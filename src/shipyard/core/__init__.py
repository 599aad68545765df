"""The pure domain core: ids, settings, errors and principals.

Nothing here performs I/O or imports a database driver, web framework, cloud
SDK or ML library; ``tests/core/test_purity.py`` keeps it so.
"""
