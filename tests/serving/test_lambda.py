"""The Lambda handler, in-process, with sample API Gateway events (REST and HTTP APIs)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from shipyard.serving import aws_lambda
from tests.serving.conftest import Data, Models


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, models: Models) -> Iterator[Any]:
    monkeypatch.setenv(aws_lambda.MODELS_ENV, f"churn={models.logistic}")
    aws_lambda.reset()
    import shipyard.serving

    yield shipyard.serving.lambda_handler  # the name a SAM template's Handler uses
    aws_lambda.reset()


def rest_event(path: str, body: Any, method: str = "POST") -> dict[str, Any]:
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json", "host": "abc.execute-api.aws"},
        "multiValueHeaders": {}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": {"proxy": path[1:]},
        "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": path,
                           "stage": "prod", "identity": {"sourceIp": "203.0.113.9"},
                           "requestId": "c6af9ac6"},
        "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
    }  # fmt: skip


def http_api_event(path: str, body: Any) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    return {
        "version": "2.0", "routeKey": "ANY /{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "abc.execute-api.aws"},
        "requestContext": {"http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.9", "userAgent": "test"},
                           "requestId": "id", "stage": "$default", "routeKey": "ANY /{proxy+}"},
        "body": encoded, "isBase64Encoded": True,
    }  # fmt: skip


def test_lambda_answers_both_protocols(handler: Any, models: Models, data: Data) -> None:
    want = models.logistic_model.predict(data.frame.iloc[0:3]).tolist()
    answer = handler(rest_event("/invocations", {"dataframe_split": data.split(0, 3)}), None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"predictions": want}
    assert answer["headers"]["x-model-name"] == "churn"
    oip = {"inputs": [{"name": "x", "shape": [3, 8], "datatype": "FP64",
                       "data": data.frame.iloc[0:3].to_numpy().ravel().tolist()}]}  # fmt: skip
    answer = handler(http_api_event("/v2/models/churn/infer", oip), None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["outputs"][0]["data"] == want
    bad = handler(rest_event("/invocations", {"dataframe_split": {"data": [[1]]}}), None)
    assert bad["statusCode"] == 400
    ready = handler(rest_event("/v2/health/ready", None, method="GET"), None)
    assert json.loads(ready["body"]) == {"ready": True}


def test_lambda_without_a_model_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(aws_lambda.MODELS_ENV, raising=False)
    aws_lambda.reset()
    with pytest.raises(Exception, match=aws_lambda.MODELS_ENV):
        aws_lambda.lambda_handler(rest_event("/ping", None, "GET"), None)
