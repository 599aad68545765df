"""The MLflow scoring protocol, as ``mlflow models serve`` speaks it.

``POST /invocations`` (or ``/models/{name}/invocations`` when several models
are served) with JSON — exactly one of ``dataframe_split``,
``dataframe_records``, ``instances``, ``inputs``, and optionally ``params`` —
or CSV with a header row; the answer is ``{"predictions": …}``. ``GET /ping``
and ``/health`` answer 200 once the server is up, ``/version`` the Shipyard
version. Errors answer ``{"error_code": "BAD_REQUEST", "message": …}`` like
MLflow's ``MlflowException``, plus ``field`` when one field is to blame.

``params`` may hold ``{"method": "predict_proba"}``; other parameters are
ignored, as MLflow ignores parameters a model does not declare.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from shipyard._version import __version__
from shipyard.core.errors import InvalidInput, SignatureMismatch
from shipyard.serving.bodies import media_type, read_body
from shipyard.serving.http import (
    Endpoint,
    Reply,
    counter,
    dumps,
    error_message,
    error_status,
    error_type,
    headers_of,
    jsonable,
    loads,
    model_headers,
    request_id,
)
from shipyard.serving.inputs import Inputs, InputSpec
from shipyard.serving.protocols.parquet import PARQUET, decode_parquet
from shipyard.serving.service import Serving

__all__ = ["decode_csv", "decode_json", "routes"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
MEDIA_TYPES = ("application/json", "text/csv", PARQUET)
_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "RESOURCE_DOES_NOT_EXIST", 413: "BAD_REQUEST", 415: "BAD_REQUEST",
          422: "INVALID_PARAMETER_VALUE", 503: "TEMPORARILY_UNAVAILABLE"}  # fmt: skip


def routes(service: Serving) -> list[Route]:
    async def invocations(request: Request) -> Reply:
        name = request.path_params.get("name") or service.only_model() or ""
        headers = headers_of(request)
        rid = request_id(headers)
        version = "-"
        try:
            if not name:
                raise InvalidInput(
                    "several models are served here: POST /models/{name}/invocations",
                    hint="served: " + ", ".join(sorted(service.deployments)),
                )
            service.deployment(name)
            if service.auth is not None:
                auth = headers.get(b"authorization", b"").decode("latin-1")
                await service.auth.authorize(auth)
            media = media_type(headers, MEDIA_TYPES)
            limit = service.options.max_body_bytes
            body = await read_body(request, headers, limit)
            method = "predict"
            if media == "text/csv":

                def decode(spec: InputSpec) -> Inputs:
                    return decode_csv(body, spec)
            elif media == PARQUET:

                def decode(spec: InputSpec) -> Inputs:
                    return decode_parquet(body, spec, limit)
            else:
                document = loads(body)
                method = _method(document)

                def decode(spec: InputSpec) -> Inputs:
                    return decode_json(document, spec)

            prediction, _ = await service.predict(name, decode, method=method, request_id=rid)
            served = prediction.served
            version = served.version
            response = Reply(
                dumps({"predictions": jsonable(prediction.outputs)}),
                headers=model_headers(name, version, prediction.variant, rid),
                media_type="application/json",
            )
        except Exception as exc:
            response = _error(exc, error_status(exc), rid)
            if name in service.deployments:
                service.metrics.errors.labels(name, version, error_type(exc)).inc()
        response.metric = (name if name in service.deployments else "unknown", version)
        return response

    async def ping(_: Request) -> Reply:
        return Reply("\n", media_type="application/json")

    async def version(_: Request) -> Reply:
        return Reply(__version__, media_type="application/json")

    counted = Endpoint(invocations, counter(service.metrics, "mlflow"))
    return [
        Route("/invocations", counted, methods=["POST"]),
        Route("/models/{name}/invocations", counted, methods=["POST"]),
        Route("/ping", Endpoint(ping), methods=["GET"]),
        Route("/health", Endpoint(ping), methods=["GET"]),
        Route("/version", Endpoint(version), methods=["GET"]),
    ]


def _error(exc: BaseException, status: int, rid: str) -> Reply:
    body: dict[str, Any] = {
        "error_code": _CODES.get(status, "INTERNAL_ERROR"),
        "message": error_message(exc),
    }
    field = getattr(exc, "field", None)
    if field:
        body["field"] = field
    headers = {"x-request-id": rid}
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    return Reply(dumps(body), status, headers, media_type="application/json")


def _method(document: Any) -> str:
    """``predict_proba`` when ``params`` asks for it; any other ``params`` are ignored, as
    ``mlflow models serve`` ignores parameters a model does not declare."""
    params = document.get("params") if isinstance(document, dict) else None
    if not isinstance(params, dict):
        return "predict"
    method = params.get("method", params.get("predict_method"))
    return "predict_proba" if method == "predict_proba" else "predict"


def decode_json(document: Any, spec: InputSpec) -> Inputs:
    """A scoring-protocol JSON document → checked inputs."""
    if not isinstance(document, dict):
        raise InvalidInput(
            "the body must be a JSON object with one of " + ", ".join(FORMATS),
            hint='e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}}',
        )
    given = [k for k in FORMATS if k in document]
    if len(given) != 1:
        raise InvalidInput(
            ("the body has none of " if not given else "the body has several of ")
            + ", ".join(FORMATS),
            hint="send exactly one of them (and optionally params)",
        )
    key = given[0]
    value = document[key]
    if key == "dataframe_split":
        if isinstance(value, str):
            value = loads(value.encode())
        if not isinstance(value, dict) or "data" not in value:
            raise InvalidInput("'dataframe_split' must be an object with 'columns' and 'data'")
        return spec.from_split(value.get("columns"), value["data"])
    if key == "dataframe_records":
        if isinstance(value, str):
            value = loads(value.encode())
        if not isinstance(value, list):
            raise InvalidInput("'dataframe_records' must be a list of objects")
        return spec.from_records(value)
    return _instances(key, value, spec)


def _instances(key: str, value: Any, spec: InputSpec) -> Inputs:
    if isinstance(value, dict):
        if (
            spec.tensor_names is None
            and value
            and not any(isinstance(v, list | dict) for v in value.values())
        ):
            value = {k: [v] for k, v in value.items()}  # one value per column: one row, as MLflow
        if spec.tabular:
            return spec.from_columns(value)
        return spec.from_tensors(value)
    if not isinstance(value, list):
        raise InvalidInput(f"'{key}' must be a list of rows or an object of columns")
    if not value:
        raise InvalidInput("the request holds no rows")
    if isinstance(value[0], dict):
        if spec.tabular or spec.tensor_names is None:
            return spec.from_records(value)
        names = {str(n) for n in spec.tensor_names}
        return spec.from_tensors({n: [row.get(n) for row in value] for n in names})
    return spec.from_tensor(value)


def decode_csv(body: bytes, spec: InputSpec) -> Inputs:
    """CSV with a header row → checked inputs (values converted by the signature's types)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the CSV body is not UTF-8: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput(f"cannot read the CSV body: {exc}") from None
    if len(rows) < 2:
        raise InvalidInput("the CSV body needs a header row and at least one row")
    header, data = rows[0], [r for r in rows[1:] if r]
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise InvalidInput(f"CSV line {i} has {len(row)} values; the header has {len(header)}")
    columns = {
        name: [_csv_value(name, row[j], spec.column_dtypes.get(name)) for row in data]
        for j, name in enumerate(header)
    }
    return spec.from_columns(columns, rows=len(data))


def _csv_value(column: str, text: str, dtype: str | None) -> Any:
    if dtype is None:
        try:
            return float(text)
        except ValueError:
            return text
    if text == "" and dtype not in ("string", "object", "bytes"):
        return math.nan if dtype.startswith("float") else None
    try:
        if dtype.startswith("float"):
            return float(text)
        if dtype.startswith(("int", "uint")):
            return int(text)
        if dtype == "bool":
            lowered = text.strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(text)
    except ValueError:
        raise SignatureMismatch(
            f"input column {column!r} holds {text!r}, which is not {dtype}", field=column
        ) from None
    return text
