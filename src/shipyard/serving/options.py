"""Typed options of a serving process, as given on the command line or in Python.

:class:`ServeOptions` travels to uvicorn's worker processes as JSON in the
environment (``SHIPYARD_SERVE_OPTIONS``), so every field is a plain value.
Defaults come from measurements recorded in docs/serving.md ("Choosing the
batching defaults").
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from shipyard.core.errors import InvalidInput

__all__ = ["OPTIONS_ENV", "BatchOptions", "ServeOptions", "SplitTraffic"]

OPTIONS_ENV = "SHIPYARD_SERVE_OPTIONS"


@dataclass(frozen=True)
class BatchOptions:
    """Adaptive batching of one model (see ``shipyard.serving.batching``)."""

    max_batch_size: int = 64
    """Rows of at most this many requests are merged into one predict call."""
    max_wait_ms: float = 0.0
    """How long a batch may wait for more requests *when others are in flight*.
    A lone request never waits."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_batch_size <= 100_000:
            raise InvalidInput("the maximum batch size must be between 1 and 100000")
        if not 0 <= self.max_wait_ms <= 10_000:
            raise InvalidInput("the maximum batch wait must be between 0 and 10000 ms")


@dataclass(frozen=True)
class SplitTraffic:
    """Canary (``percent`` of requests answered by ``alias``) or shadow (mirrored, percent 100)."""

    model: str
    alias: str
    percent: float
    shadow: bool = False


@dataclass(frozen=True)
class ServeOptions:
    """Everything one serving process needs to know."""

    models: tuple[str, ...]
    """References as given (``churn=./churn-model``, ``models:/churn@production``)."""
    batch: BatchOptions = field(default_factory=BatchOptions)
    batch_per_model: dict[str, BatchOptions] = field(default_factory=dict)
    splits: tuple[SplitTraffic, ...] = ()
    idle_ttl_s: float = 900.0
    """Unload a model nobody asked for in this long (0: never)."""
    memory_budget_mb: float = 0.0
    """Keep loaded models under this estimate, unloading the least recently used (0: none)."""
    preload: bool = False
    """Load every model at start and keep it loaded (no idle unload)."""
    poll_s: float = 10.0
    """How often to ask the sources whether an alias moved (0: never)."""
    onnx: bool = True
    """Serve scikit-learn models through the checked ONNX fast path when it agrees."""
    trusted: bool = False
    """Load pickles and types outside skops' safe list (only for models you produced)."""
    log_rate: float = 0.0
    """Fraction of requests written to the inference log (0 to 1)."""
    log_flush_s: float = 10.0
    log_batch_rows: int = 5_000
    log_queue: int = 10_000
    auth: bool = False
    """Require a Shipyard API token with the ``predict`` permission (viewer)."""
    max_body_mb: float = 16.0
    workspace: str = ""
    """Folder of the workspace whose object store and database take the inference log."""

    def __post_init__(self) -> None:
        if not self.models:
            raise InvalidInput("name at least one model to serve")
        if not 0.0 <= self.log_rate <= 1.0:
            raise InvalidInput("the inference-log rate must be between 0 and 1")
        for name, value in (
            ("idle TTL", self.idle_ttl_s),
            ("memory budget", self.memory_budget_mb),
            ("poll interval", self.poll_s),
        ):
            if value < 0:
                raise InvalidInput(f"the {name} cannot be negative")
        if self.max_body_mb <= 0:
            raise InvalidInput("the body size limit must be positive")
        if self.log_queue < 1 or self.log_batch_rows < 1 or self.log_flush_s <= 0:
            raise InvalidInput("the inference-log queue, batch and flush interval must be positive")

    def batch_for(self, name: str) -> BatchOptions:
        return self.batch_per_model.get(name, self.batch)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def with_(self, **changes: Any) -> ServeOptions:
        return replace(self, **changes)

    # the hand-over to worker processes ---------------------------------------------

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["models"] = tuple(data["models"])
        data["batch"] = BatchOptions(**data.get("batch", {}))
        data["batch_per_model"] = {
            k: BatchOptions(**v) for k, v in data.get("batch_per_model", {}).items()
        }
        data["splits"] = tuple(SplitTraffic(**s) for s in data.get("splits", []))
        return cls(**data)

    @classmethod
    def from_environment(cls) -> ServeOptions:
        text = os.environ.get(OPTIONS_ENV)
        if not text:
            raise InvalidInput(f"{OPTIONS_ENV} is not set: start serving with `shipyard serve`")
        return cls.from_json(text)
