"""The inference log and feedback: records match the requests; drops are counted, not waited on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shipyard.context import Context, open_context
from shipyard.objects.references import collect_references
from shipyard.serving.inference_log import InferenceLog
from shipyard.serving.inputs import Inputs
from shipyard.serving.log_store import FEEDBACK, find_batches, read_log
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server, metric


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    context = open_context(workspace)
    yield context
    context.close()


def test_every_sampled_request_is_logged_with_inputs_and_outputs(
    serve: Callable[..., Server], models: Models, data: Data, ctx: Context
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), log_rate=1.0), ctx=ctx)
    started = datetime.now(UTC)
    sent = {}
    for i in range(12):
        rid = f"req-{i:02d}"
        response = server.client.post(
            "/invocations",
            json={"dataframe_split": data.split(i, i + 2)},
            headers={"x-request-id": rid},
        )
        assert response.headers["x-request-id"] == rid
        sent[rid] = (i, response.json()["predictions"], response.headers["x-model-version"])
    oip = server.client.post(
        "/v2/models/churn/infer",
        json={"id": "oip-🙂", "inputs": [{"name": "x", "shape": [1, 8], "datatype": "FP64",
                                         "data": data.frame.iloc[0].tolist()}]},
    )  # fmt: skip
    assert oip.status_code == 200
    assert oip.headers["x-request-id"] == "oip-%F0%9F%99%82"  # the log keeps the id as sent
    assert server.serving.log.flush()
    table = read_log(ctx, "churn", since=started - timedelta(seconds=1))
    rows = table.to_pylist()
    assert len(rows) == 12 * 2 + 1
    for row in rows:
        if row["_request_id"] == "oip-🙂":
            assert row[data.columns[0]] == data.frame.iloc[0, 0]
            continue
        start, predictions, version = sent[row["_request_id"]]
        assert row["_version"] == version
        assert row["_variant"] == "primary"
        assert row["_prediction"] == predictions[row["_row"]]
        for column in data.columns:
            assert row[column] == data.frame[column].iloc[start + row["_row"]]
    assert read_log(ctx, "churn", since=datetime.now(UTC) + timedelta(hours=1)).num_rows == 0
    batches = find_batches(ctx, "churn")
    assert batches
    assert all(b.rows > 0 for b in batches)
    references = collect_references(ctx)
    assert {b.digest for b in batches} <= {str(d) for d in references.digests}


def test_feedback_is_stored_for_monitoring(
    serve: Callable[..., Server], models: Models, ctx: Context
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), log_rate=0.0), ctx=ctx)
    url = "/v2/models/churn/feedback"
    assert server.client.post(url, json={"request_id": "r1", "label": 1}).status_code == 202
    answer = server.client.post(
        url, json={"feedback": [{"request_id": "r2", "labels": [0, 1]},
                                {"request_id": "r3", "label": 1, "row": 0}]}
    )  # fmt: skip
    assert answer.json() == {"accepted": 3}
    bad = server.client.post(url, json={"request_id": "r4"})
    assert bad.status_code == 400
    assert "label" in bad.json()["error"]
    assert server.client.post(url, json={"label": 1}).status_code == 400
    assert server.client.post("/v2/models/nope/feedback", json={}).status_code == 404
    assert server.serving.log.flush()
    labels = read_log(ctx, "churn", kind=FEEDBACK).to_pylist()
    assert [(r["_request_id"], r["_row"], r["label"]) for r in labels] == [
        ("r1", -1, 1), ("r2", 0, 0), ("r2", 1, 1), ("r3", 0, 1),
    ]  # fmt: skip


def test_feedback_without_a_workspace_says_why(
    serve: Callable[..., Server], models: Models
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}",)))
    answer = server.client.post("/v2/models/churn/feedback", json={"request_id": "r", "label": 1})
    assert answer.status_code == 503
    assert "inference log" in answer.json()["error"]


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    release = threading.Event()
    written: list[int] = []

    def slow_writer(model: str, version: str, kind: str, columns: dict[str, list[object]]) -> None:
        release.wait(30)
        written.append(len(columns["_request_id"]))

    metrics = ServingMetrics()
    log = InferenceLog(slow_writer, metrics, rate=1.0, queue_size=3, batch_rows=1, flush_s=0.01)
    inputs = Inputs("matrix", __import__("numpy").zeros((1, 2)), 1)
    accepted = [log.offer_prediction(f"r{i}", "m", "1", "primary", inputs, ["a", "b"], [0])
                for i in range(50)]  # fmt: skip
    assert accepted.count(False) >= 40  # the writer is stuck: most are dropped at once
    assert log.dropped == accepted.count(False)
    release.set()
    assert log.flush()
    log.close()
    text = metrics.render().decode()
    assert metric(text, "shipyard_serving_inference_log_drops_total", reason="queue_full") == (
        log.dropped
    )
    assert sum(written) == accepted.count(True)


def test_shadow_answers_are_logged_beside_the_primarys(
    serve: Callable[..., Server], models: Models, data: Data, ctx: Context, tmp_path: Path
) -> None:
    from shipyard.serving.options import SplitTraffic
    from tests.serving.conftest import versions_folder

    folder = versions_folder(tmp_path, models, {"production": "1", "staging": "2"})
    server = serve(
        ServeOptions(
            models=(f"churn={folder}@production",),
            splits=(SplitTraffic("churn", "staging", 100.0, shadow=True),),
            log_rate=1.0,
            poll_s=0,
        ),
        ctx=ctx,
    )
    for i in range(3):
        response = server.client.post(
            "/invocations", json={"dataframe_split": data.split(i, i + 1)},
            headers={"x-request-id": f"s{i}"},
        )  # fmt: skip
        assert response.headers["x-model-version"] == "1"

    def both_logged() -> bool:
        assert server.serving.log.flush()
        return read_log(ctx, "churn").num_rows == 6

    from tests.serving.conftest import wait_for

    wait_for(both_logged)
    rows = read_log(ctx, "churn").to_pylist()
    by_variant = {(r["_request_id"], r["_variant"]): r for r in rows}
    for i in range(3):
        assert by_variant[(f"s{i}", "shadow")]["_prediction"] == 7
        assert by_variant[(f"s{i}", "shadow")]["_version"] == "2"
        assert by_variant[(f"s{i}", "primary")]["_version"] == "1"
