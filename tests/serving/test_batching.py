"""Adaptive batching: each caller gets its own rows back, in order, under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from shipyard.serving.batching import Batcher, split_rows
from shipyard.serving.inputs import Inputs
from shipyard.serving.options import BatchOptions, ServeOptions
from tests.serving.conftest import Data, Models, Server, metric


def _identity_batcher(batches: list[int], options: BatchOptions, *, inline: bool) -> Batcher:
    def predict(inputs: Inputs) -> np.ndarray:
        batches.append(inputs.rows)
        return inputs.value[:, 0] * 10  # row-wise: any mix-up shows

    return Batcher(predict, options, inline=inline)


@pytest.mark.parametrize("inline", [True, False])
def test_concurrent_callers_get_their_own_rows_in_order(inline: bool) -> None:
    batches: list[int] = []
    batcher = _identity_batcher(batches, BatchOptions(max_batch_size=16), inline=inline)

    async def scenario() -> list[np.ndarray]:
        async def call(caller: int) -> np.ndarray:
            rows = caller % 5 + 1
            values = np.arange(rows, dtype=float).reshape(-1, 1) + caller * 100
            return np.asarray(await batcher.submit(Inputs("matrix", values, rows)))

        return await asyncio.gather(*(call(i) for i in range(200)))

    answers = asyncio.run(scenario())
    for caller, answer in enumerate(answers):
        rows = caller % 5 + 1
        assert answer.tolist() == [(caller * 100 + r) * 10 for r in range(rows)]
    assert max(batches) > 1, "concurrent requests were never merged"
    assert sum(batches) == sum(i % 5 + 1 for i in range(200))


def test_a_lone_request_is_not_held_and_batch_size_is_bounded() -> None:
    batches: list[int] = []
    batcher = _identity_batcher(
        batches, BatchOptions(max_batch_size=4, max_wait_ms=50), inline=True
    )

    async def scenario() -> None:
        for i in range(5):  # one at a time: each is its own batch
            await batcher.submit(Inputs("matrix", np.array([[float(i)]]), 1))
        await asyncio.gather(
            *(batcher.submit(Inputs("matrix", np.array([[1.0]]), 1)) for _ in range(20))
        )

    asyncio.run(scenario())
    assert batches[:5] == [1, 1, 1, 1, 1]
    assert max(batches[5:]) <= 4


def test_one_bad_request_in_a_batch_fails_alone() -> None:
    def predict(inputs: Inputs) -> np.ndarray:
        if np.isnan(inputs.value).any():
            raise ValueError("Input contains NaN")
        return inputs.value[:, 0]

    batcher = Batcher(predict, BatchOptions(), inline=True)

    async def scenario() -> list[object]:
        values = [np.array([[1.0]]), np.array([[np.nan]]), np.array([[3.0]])]
        return await asyncio.gather(
            *(batcher.submit(Inputs("matrix", v, 1)) for v in values), return_exceptions=True
        )

    good, bad, other = asyncio.run(scenario())
    assert np.asarray(good).tolist() == [1.0]
    assert np.asarray(other).tolist() == [3.0]
    assert "could not predict" in str(bad)


def test_split_rows_handles_frames_and_dicts() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2, 3]})
    first, second = split_rows(frame, [1, 2])
    assert first["a"].tolist() == [1]
    assert second["a"].tolist() == [2, 3]
    parts = split_rows({"x": np.array([1, 2, 3]), "y": np.array([4, 5, 6])}, [2, 1])
    assert parts[1]["y"].tolist() == [6]


def test_batching_over_http_keeps_every_callers_rows(
    serve: Callable[..., Server], models: Models, data: Data
) -> None:
    server = serve(
        ServeOptions(models=(f"churn={models.logistic}",), preload=True,
                     batch=BatchOptions(max_batch_size=32, max_wait_ms=2))
    )  # fmt: skip
    want = models.logistic_model.predict(data.frame)

    async def scenario() -> list[tuple[int, int, list[int]]]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:

            async def call(caller: int) -> tuple[int, int, list[int]]:
                start = (caller * 7) % (len(data.frame) - 6)
                stop = start + caller % 6 + 1
                response = await client.post(
                    "/invocations", json={"dataframe_split": data.split(start, stop)}
                )
                return start, stop, response.json()["predictions"]

            return await asyncio.gather(*(call(i) for i in range(120)))

    for start, stop, predictions in asyncio.run(scenario()):
        assert predictions == want[start:stop].tolist()
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_serving_batch_requests_count", model="churn") >= 1
