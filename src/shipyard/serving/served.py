"""One loaded model version, ready to answer: predictor, input checks, batchers, metadata.

:func:`load_version` (blocking; the pool runs it in a thread) verifies and loads
the model directory, tries the ONNX Runtime fast path for scikit-learn models
(kept only when it agrees with the original on the signature's example),
measures one prediction to decide whether predicting may run on the event
loop (fast models) or needs a thread, and notes how much memory loading took.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput
from shipyard.models.source import ResolvedModel
from shipyard.serving.batching import Batcher
from shipyard.serving.inputs import Inputs, InputSpec
from shipyard.serving.options import BatchOptions

if TYPE_CHECKING:
    from shipyard.models import LoadedModel
    from shipyard.models.onnx_fastpath import FastPath

__all__ = ["METHODS", "Loader", "ServedVersion", "load_version"]

METHODS = ("predict", "predict_proba")
INLINE_BELOW_S = 0.002
"""Models whose one-row prediction takes less than this run on the event loop."""

Loader = Callable[[ResolvedModel], "LoadedModel"]
"""Reads a model directory (``shipyard.models.load_model`` under the workspace's policy)."""


@dataclass(frozen=True)
class LoadReport:
    seconds: float
    memory_bytes: int
    predict_seconds: float


class ServedVersion:
    """A model version in memory. Requests hold a reference while they use it, so a
    version switched away from finishes what it started."""

    def __init__(
        self,
        resolved: ResolvedModel,
        loaded: LoadedModel,
        fast: FastPath | None,
        batch: BatchOptions,
        report: LoadReport,
        on_batch: Callable[[str, str, int, int], None] | None = None,
    ) -> None:
        self.resolved = resolved
        self.name = resolved.name
        self.version = resolved.version
        self.loaded = loaded
        self.fast = fast if fast is not None and fast.available else None
        self.fast_verdict = fast
        self.spec = InputSpec(loaded.signature)
        self.report = report
        self.batch_options = batch
        self.inline = report.predict_seconds < INLINE_BELOW_S
        self._on_batch = on_batch
        self._batchers: dict[str, Batcher] = {}
        self.in_flight = 0
        self.last_used = time.monotonic()

    # predicting ---------------------------------------------------------------------

    def batcher(self, method: str) -> Batcher:
        batcher = self._batchers.get(method)
        if batcher is None:
            if method not in METHODS:
                raise InvalidInput(
                    f"unknown method {method!r}", hint="use predict or predict_proba"
                )
            if method == "predict_proba" and not self.has_proba:
                raise InvalidInput(f"model {self.name!r} gives no probabilities")

            def count(requests: int, rows: int) -> None:
                if self._on_batch is not None:
                    self._on_batch(self.name, self.version, requests, rows)

            batcher = Batcher(
                lambda inputs: self.predict(inputs, method),
                self.batch_options,
                inline=self.inline,
                on_batch=count,
            )
            self._batchers[method] = batcher
        return batcher

    async def infer(self, inputs: Inputs, method: str = "predict") -> Any:
        self.last_used = time.monotonic()
        self.in_flight += 1
        try:
            return await self.batcher(method).submit(inputs)
        finally:
            self.in_flight -= 1
            self.last_used = time.monotonic()

    @property
    def has_proba(self) -> bool:
        if self.fast is not None:
            return bool(self.fast.model and self.fast.model._proba)
        return hasattr(self.loaded.raw, "predict_proba")

    def predict(self, inputs: Inputs, method: str = "predict") -> Any:
        """Blocking prediction on merged inputs (the batcher calls this)."""
        fast = self.fast.model if self.fast is not None else None
        if fast is not None and _has_nan(inputs):
            fast = None  # the ONNX graph was checked on clean data only: ask the original
        if fast is not None and inputs.kind in ("matrix", "tensor"):
            return (
                fast.predict(inputs.value)
                if method == "predict"
                else fast.predict_proba(inputs.value)
            )
        data = self._model_input(inputs)
        if fast is not None:
            return fast.predict(data) if method == "predict" else fast.predict_proba(data)
        if method == "predict":
            return self.loaded.predict(data)
        return self.loaded.predict_proba(data)

    def _model_input(self, inputs: Inputs) -> Any:
        columns = self.spec.columns
        if inputs.kind == "matrix" and columns is not None:
            import pandas as pd

            frame = pd.DataFrame(inputs.value, columns=columns)
            wanted = {c: d for c, d in self.spec.column_dtypes.items() if d != "float64"}
            return frame.astype(wanted) if wanted else frame
        if inputs.kind == "columns":
            import pandas as pd

            return pd.DataFrame(inputs.value)
        return inputs.value

    async def close(self) -> None:
        for batcher in self._batchers.values():
            await batcher.close()

    # describing ---------------------------------------------------------------------

    @property
    def flavor(self) -> str:
        return self.loaded.manifest.flavor

    @property
    def platform(self) -> str:
        return "onnxruntime" if self.fast is not None else f"shipyard-{self.flavor}"

    def fast_path_info(self) -> dict[str, Any]:
        verdict = self.fast_verdict
        if verdict is None:
            return {"available": False, "reason": "off or not a scikit-learn model"}
        return verdict.to_dict()


def load_version(
    resolved: ResolvedModel,
    loader: Loader,
    *,
    batch: BatchOptions,
    onnx: bool,
    on_batch: Callable[[str, str, int, int], None] | None = None,
) -> ServedVersion:
    """Load ``resolved`` (blocking): verify, read, ONNX fast path, one timed prediction."""
    start = time.perf_counter()
    rss_before = _rss_bytes()
    loaded = loader(resolved)
    fast = None
    example = loaded.input_example()
    if onnx and loaded.manifest.flavor == "sklearn":
        from shipyard.models import onnx_fast_path

        fast = onnx_fast_path(loaded.raw, loaded.signature, example)
    probe = ServedVersion(resolved, loaded, fast, batch, LoadReport(0.0, 0, 0.0), on_batch)
    predict_seconds = _time_one_row(probe, example)
    seconds = time.perf_counter() - start
    memory = max(_rss_bytes() - rss_before, _files_size(loaded))
    report = LoadReport(seconds, memory, predict_seconds)
    return ServedVersion(resolved, loaded, fast, batch, report, on_batch)


def _time_one_row(served: ServedVersion, example: Any) -> float:
    """Seconds of one prediction on the example's first row (1.0 when it cannot be timed)."""
    if example is None:
        return 1.0
    try:
        inputs = _first_row(served.spec, example)
        served.predict(inputs)  # warm-up: lazy initialisation, caches
        start = time.perf_counter()
        for _ in range(3):
            served.predict(inputs)
        return (time.perf_counter() - start) / 3
    except Exception:  # the example does not fit the checks: time it in a thread then
        return 1.0


def _first_row(spec: InputSpec, example: Any) -> Inputs:
    from shipyard.models.signatures.infer import is_dataframe

    if is_dataframe(example):
        head = example.head(1)
        return spec.from_columns({c: head[c].to_numpy() for c in head.columns}, rows=1)
    if isinstance(example, dict):
        return spec.from_tensors({k: v[:1] for k, v in example.items()})
    return spec.from_tensor(example[:1])


def _has_nan(inputs: Inputs) -> bool:
    import numpy as np

    value = inputs.value
    if inputs.kind in ("matrix", "tensor"):
        return value.dtype.kind == "f" and bool(np.isnan(value).any())
    return any(v.dtype.kind == "f" and bool(np.isnan(v).any()) for v in value.values())


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _files_size(loaded: LoadedModel) -> int:
    return sum(entry.size for entry in loaded.manifest.files)
