"""Run in MLflow's venv (bench/.venv-peers): MLflow's scoring server and Shipyard, same payloads.

``python mlflow_peer.py PORT FOLDER`` trains the test suite's model again, saves
it as an MLflow model in FOLDER, and for each payload (built with MLflow's own
``dump_input_data`` where MLflow's client would) records what MLflow's scoring
server answers — its ``invocations`` function, the body of ``mlflow models
serve``'s route — and what the Shipyard server on PORT answers to the same
request sent with ``requests``, as MLflow's ``ScoringServerClient`` sends it.
Prints one JSON list.
"""

from __future__ import annotations

import gzip
import json
import sys
from typing import Any

import mlflow
import requests
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc import scoring_server
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
from mlflow.utils.proto_json_utils import dump_input_data
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression


def main(port: int, folder: str) -> None:
    frame, labels = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = frame.iloc[:, :8]
    model = LogisticRegression(max_iter=2000).fit(frame, labels)
    mlflow.sklearn.save_model(model, folder, signature=infer_signature(frame))
    pyfunc = mlflow.pyfunc.load_model(folder)
    schema = pyfunc.metadata.get_input_schema()
    rows = frame.iloc[60:64]
    json_type = scoring_server.CONTENT_TYPE_JSON
    missing = rows.drop(columns=[frame.columns[0]])
    records, split = rows.to_dict("records"), rows.to_dict("split")
    payloads: list[tuple[str, str, Any]] = [
        ("dataframe_split", json_type, dump_input_data(rows)),
        ("dataframe_records", json_type, json.dumps({"dataframe_records": records})),
        ("instances", json_type, json.dumps({"instances": records})),
        ("inputs of columns", json_type, json.dumps({"inputs": rows.to_dict("list")})),
        ("inputs of one row", json_type, json.dumps({"inputs": rows.iloc[0].to_dict()})),
        ("params list", json_type, json.dumps({"dataframe_split": split, "params": [1]})),
        ("params unknown", json_type, dump_input_data(rows, params={"method": "explain"})),
        ("charset", json_type + "; charset=utf-8", dump_input_data(rows)),
        ("csv", scoring_server.CONTENT_TYPE_CSV, rows.to_csv(index=False)),
        ("parquet", scoring_server.CONTENT_TYPE_PARQUET, rows.to_parquet()),
        ("missing column", json_type, dump_input_data(missing)),
        ("predict_proba", json_type, dump_input_data(rows, params={"method": "predict_proba"})),
        ("other content-type parameter", json_type + "; format=split", dump_input_data(rows)),
        ("gzip body", json_type, gzip.compress(dump_input_data(rows).encode())),
    ]  # fmt: skip
    results = []
    for name, content_type, body in payloads:
        raw = body.encode() if isinstance(body, str) else body
        # MLflow's route hands invocations() the body as received: it decodes no gzip
        encoding = {"Content-Encoding": "gzip"} if name == "gzip body" else {}
        results.append(
            {"name": name, "mlflow": _mlflow(raw, content_type, pyfunc, schema),
             "shipyard": _shipyard(port, raw, {"Content-Type": content_type, **encoding})}
        )  # fmt: skip
    client = ScoringServerClient("127.0.0.1", port)
    client.wait_server_ready(timeout=30)
    answer = client.invoke(rows, params={"alpha": 0.5})  # a parameter the model does not take
    results.append(
        {"name": "ScoringServerClient with params",
         "mlflow": {"status": 200, "body": {"predictions": pyfunc.predict(rows).tolist()}},
         "shipyard": {"status": 200,
                      "body": {"predictions": answer.get_predictions().iloc[:, 0].tolist()}}}
    )  # fmt: skip
    print(json.dumps(results))


def _mlflow(body: bytes, content_type: str, pyfunc: Any, schema: Any) -> dict[str, Any]:
    try:
        answer = scoring_server.invocations(body, content_type, pyfunc, schema)
    except MlflowException as exc:
        return {"status": exc.get_http_status_code(), "body": json.loads(exc.serialize_as_json())}
    if answer.mimetype != "application/json":
        return {"status": answer.status, "body": answer.response}
    return {"status": answer.status, "body": json.loads(answer.response)}


def _shipyard(port: int, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    answer = requests.post(
        f"http://127.0.0.1:{port}/invocations", data=body, headers=headers, timeout=60
    )
    return {"status": answer.status_code, "body": answer.json()}


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
