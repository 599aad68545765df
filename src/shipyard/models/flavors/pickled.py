"""The one place Shipyard reads a pickle, and only when the caller trusts it.

Unpickling runs whatever code the file names, so a pickle from an unknown
source can take over the machine. Shipyard never writes pickles; it reads them
only to convert foreign models (such as MLflow's scikit-learn flavor) into a
safe format, and only with ``trusted=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, UntrustedModel

__all__ = ["load_pickle", "untrusted_pickle"]


def untrusted_pickle(path: Path, what: str) -> UntrustedModel:
    return UntrustedModel(
        f"{what} ({path.name}) is a pickle: loading it runs any code it contains, so Shipyard "
        "refuses it unless you trust its source",
        hint="pass trusted=True (CLI: --trust) only for a model you or your team produced",
    )


def load_pickle(path: Path, *, trusted: bool, what: str = "the model") -> Any:
    """Unpickle ``path`` if ``trusted``; otherwise raise :class:`UntrustedModel`."""
    if not trusted:
        raise untrusted_pickle(path, what)
    import pickle  # noqa: TID251 - the single, trust-gated use

    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - the caller trusts this file
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {path} does not exist") from None
    except Exception as exc:  # a pickle can raise anything while it runs
        raise InvalidInput(f"cannot unpickle {path.name}: {type(exc).__name__}: {exc}") from exc
