"""scikit-learn integration: ``shipyard.sklearn.autolog()`` tracks every ``fit``.

.. code-block:: python

    import shipyard.sklearn

    shipyard.sklearn.autolog()
    LogisticRegression(C=0.5).fit(X, y)   # a run with params and training metrics
"""

from __future__ import annotations

from shipyard.tracking.autolog_sklearn import autolog

__all__ = ["autolog"]
