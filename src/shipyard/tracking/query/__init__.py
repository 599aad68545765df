"""The run query language: ``--filter`` and ``--order-by`` expressions.

Pure (no database): :mod:`.tokens` cuts the text into tokens, :mod:`.parser`
builds the syntax tree of :mod:`.nodes` by recursive descent, raising
:class:`~shipyard.core.errors.QuerySyntaxError` that points at the bad token.
The SQL side lives in :mod:`shipyard.tracking.search_sql`.
"""

from shipyard.tracking.query.nodes import Expr, Field, OrderKey
from shipyard.tracking.query.parser import parse_filter, parse_order_by

__all__ = ["Expr", "Field", "OrderKey", "parse_filter", "parse_order_by"]
