"""Hot reload under load with zero failed requests; canary and shadow traffic."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shipyard.serving.options import ServeOptions, SplitTraffic
from tests.serving.conftest import (
    Data,
    Models,
    Server,
    metric,
    move_aliases,
    versions_folder,
    wait_for,
)


@pytest.mark.slow
def test_alias_move_and_rollback_under_load_fail_no_request(
    serve: Callable[..., Server], models: Models, data: Data, tmp_path: Path
) -> None:
    folder = versions_folder(tmp_path, models, {"production": "1"})
    server = serve(ServeOptions(models=(f"churn={folder}@production",), poll_s=0.1, preload=True))
    body = {"dataframe_split": data.split(0, 2)}
    logistic = models.logistic_model.predict(data.frame.iloc[0:2]).tolist()
    seen: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    stop = threading.Event()

    async def hammer() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:

            async def loop() -> None:
                while not stop.is_set():
                    response = await client.post("/invocations", json=body)
                    version = response.headers.get("x-model-version", "?")
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text}")
                        continue
                    predictions = response.json()["predictions"]
                    expected = logistic if version == "1" else [7, 7]
                    if predictions != expected:
                        failures.append(f"version {version} answered {predictions}")
                    seen[(version, str(predictions))] += 1

            await asyncio.gather(*(loop() for _ in range(8)))

    load = threading.Thread(target=lambda: asyncio.run(hammer()))
    load.start()
    try:
        wait_for(lambda: sum(seen.values()) > 50)
        move_aliases(folder, {"production": "2"})  # promote
        wait_for(lambda: any(v == "2" for v, _ in seen))
        before = sum(seen.values())
        wait_for(lambda: sum(seen.values()) > before + 50)
        move_aliases(folder, {"production": "1"})  # roll back
        wait_for(lambda: server.serving.reloader.moves >= 2)
        before = sum(seen.values())
        wait_for(lambda: sum(seen.values()) > before + 50)
    finally:
        stop.set()
        load.join(timeout=60)
    assert failures == []
    assert {v for v, _ in seen} == {"1", "2"}
    last = server.client.post("/invocations", json=body)
    assert last.headers["x-model-version"] == "1"
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_serving_reloads_total", outcome="switched") == 2
    wait_for(lambda: server.serving.pool.peek("churn", "2") is None)  # retired, unloaded


def test_canary_splits_traffic_and_headers_name_the_version(
    serve: Callable[..., Server], models: Models, data: Data, tmp_path: Path
) -> None:
    folder = versions_folder(tmp_path, models, {"production": "1", "staging": "2"})
    server = serve(
        ServeOptions(
            models=(f"churn={folder}@production",),
            splits=(SplitTraffic("churn", "staging", 30.0),),
            poll_s=0,
        )
    )
    body = {"dataframe_split": data.split(0, 1)}
    variants: Counter[tuple[str, str]] = Counter()
    for _ in range(200):
        response = server.client.post("/invocations", json=body)
        assert response.status_code == 200
        variants[(response.headers["x-model-variant"], response.headers["x-model-version"])] += 1
    assert set(variants) == {("primary", "1"), ("canary", "2")}
    assert 20 <= variants[("canary", "2")] <= 110  # about 30% of 200
    meta = server.client.get("/v2/models/churn").json()
    assert meta["versions"] == ["1", "2"]


def test_shadow_sees_every_request_but_never_answers(
    serve: Callable[..., Server], models: Models, data: Data, tmp_path: Path
) -> None:
    folder = versions_folder(tmp_path, models, {"production": "1", "staging": "2"})
    server = serve(
        ServeOptions(
            models=(f"churn={folder}@production",),
            splits=(SplitTraffic("churn", "staging", 100.0, shadow=True),),
            poll_s=0,
        )
    )
    logistic = models.logistic_model.predict(data.frame.iloc[0:3]).tolist()
    for _ in range(10):
        response = server.client.post("/invocations", json={"dataframe_split": data.split(0, 3)})
        assert response.json()["predictions"] == logistic
        assert response.headers["x-model-version"] == "1"

    def shadowed() -> bool:
        text = server.client.get("/metrics").text
        return metric(text, "shipyard_serving_shadow_predictions_total", outcome="answered") == 10

    wait_for(shadowed)
