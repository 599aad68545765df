"""Signed checkpoints of the audit log: what the database alone cannot vouch for.

The audit chain (:mod:`shipyard.store.audit`) shows edits and deletions in the
middle, but whoever can write the database can also delete the newest entries and
rewrite the head, or recompute every hash after an edit. As CloudTrail's digest
files do for its logs, a checkpoint records the chain's head (last entry, count,
hash) at a time, chains to the checkpoint before it, and is signed with a key the
database never holds; it is kept in the object store (and optionally exported to a
folder or a webhook), and ``audit verify`` checks the chain against every one.

``checkpoint.py`` (the document), ``keys.py`` (signing and trusted keys),
``vault.py`` (where checkpoints are kept), ``writer.py`` (writing one; exports),
``schedule.py`` (the team server's periodic writer), ``verify.py`` + ``report.py``
(checking the log against them), ``setup.py`` (all of it from the settings).
"""
