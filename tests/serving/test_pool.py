"""Scale to zero: idle models unload and the next request loads them again; memory budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server, metric, sweep_later


def test_idle_unload_then_a_cold_request_succeeds(
    serve: Callable[..., Server], models: Models, data: Data
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), idle_ttl_s=60))
    pool = server.serving.pool
    assert pool.loaded() == []  # nothing loads before the first request
    body = {"dataframe_split": data.split(0, 2)}
    assert server.client.post("/invocations", json=body).status_code == 200
    assert len(pool.loaded()) == 1
    sweep_later(server, 59)  # not yet idle for the TTL: stays
    assert len(pool.loaded()) == 1
    sweep_later(server, 61)
    assert pool.loaded() == []  # unloaded after the idle TTL
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_serving_unloads_total", reason="idle") == 1
    assert metric(text, "shipyard_serving_loaded_models") == 0
    response = server.client.post("/invocations", json=body)  # cold: waits, then answers
    assert response.status_code == 200
    assert (
        response.json()["predictions"]
        == models.logistic_model.predict(data.frame.iloc[0:2]).tolist()
    )
    assert pool.loads == 2
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_serving_cold_start_seconds_count", model="churn") == 2
    assert metric(text, "shipyard_serving_model_load_seconds_count", model="churn") == 2


def test_memory_budget_unloads_the_least_recently_used(
    serve: Callable[..., Server], models: Models, data: Data
) -> None:
    server = serve(
        ServeOptions(
            models=(f"a={models.logistic}", f"b={models.constant}"),
            memory_budget_mb=0.001,  # smaller than any model: one at a time
        )
    )
    body = {"dataframe_split": data.split(0, 1)}
    pool = server.serving.pool
    assert server.client.post("/models/a/invocations", json=body).status_code == 200
    assert [s.name for s in pool.loaded()] == ["a"]
    assert server.client.post("/models/b/invocations", json=body).status_code == 200
    assert [s.name for s in pool.loaded()] == ["b"]
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_serving_unloads_total", model="a", reason="memory") == 1


def test_preload_loads_at_start_and_keeps_models(
    serve: Callable[..., Server], models: Models, tmp_path: Path
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), preload=True, idle_ttl_s=60))
    pool = server.serving.pool
    assert [s.name for s in pool.loaded()] == ["churn"]
    sweep_later(server, 3600)  # far past the TTL: a preloaded model stays
    assert [s.name for s in pool.loaded()] == ["churn"]


def test_a_model_that_cannot_load_answers_503_naming_why(
    serve: Callable[..., Server], models: Models, data: Data, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(models.logistic, copy)
    server = serve(ServeOptions(models=(f"churn={copy}",)))
    with (copy / "model.skops").open("ab") as f:
        f.write(b"tampered")  # after start, before the first request loads it
    response = server.client.post("/invocations", json={"dataframe_split": data.split(0, 1)})
    assert response.status_code == 503
    assert "cannot be loaded" in response.json()["message"]
    assert "model.skops" in response.json()["message"]
    oip = server.client.get("/v2/models/churn")
    assert oip.status_code == 503
    assert server.client.get("/v2/health/live").status_code == 200
