"""The Open Inference Protocol v2 (KServe, Triton, Seldon) over HTTP.

Routes: ``GET /v2/health/live``, ``/v2/health/ready``, ``/v2``,
``/v2/models/{name}[/versions/{version}]``, ``…/ready``; ``POST
…/infer``; and Shipyard's ``POST /v2/models/{name}/feedback``. Errors
answer ``{"error": "…"}``. Outputs are named like KServe's scikit-learn
runtime: ``predict`` (always) and ``predict_proba`` (when asked for in
``outputs`` and the model has probabilities). Binary tensor data (Triton's
clients' default) is accepted and answered in kind.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from shipyard._version import __version__
from shipyard.core.errors import InvalidInput, SignatureMismatch, Unavailable
from shipyard.serving.bodies import media_type, read_body
from shipyard.serving.feedback import feedback_columns
from shipyard.serving.http import (
    Endpoint,
    Reply,
    counter,
    dumps,
    error_message,
    error_status,
    error_type,
    headers_of,
    json_response,
    loads,
    model_headers,
    request_id,
)
from shipyard.serving.inputs import Inputs, InputSpec
from shipyard.serving.protocols.oip_tensors import Tensor, encode_output, parse_inputs
from shipyard.serving.served import ServedVersion
from shipyard.serving.service import Serving

__all__ = ["decode_tensors", "routes"]

HEADER_LENGTH = "inference-header-content-length"
MAX_ID = 256
"""Longest request ``id`` taken (it is echoed in a header and written to the log)."""
_ACCEPTED = ("", "application/json", "application/octet-stream")
_OUTPUTS = ("predict", "predict_proba")


def routes(service: Serving) -> list[Route]:
    async def live(_: Request) -> Reply:
        return json_response({"live": True})

    async def ready(_: Request) -> Reply:
        return json_response({"ready": service.ready}, 200 if service.ready else 503)

    async def server_metadata(_: Request) -> Reply:
        return json_response(
            {"name": "shipyard", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    async def model_metadata(request: Request) -> Reply:
        try:
            await _authorize(service, request)
            name = request.path_params["name"]
            served = await service.version_for(name, request.path_params.get("version"))
            return json_response(metadata(service, served))
        except Exception as exc:
            return _error(exc)

    async def model_ready(request: Request) -> Reply:
        try:
            name = request.path_params["name"]
            version = request.path_params.get("version")
            if version is not None:
                await service.resolve_version(name, version)
            else:
                service.deployment(name)
            return json_response({"name": name, "ready": True})
        except Exception as exc:
            return _error(exc)

    async def infer(request: Request) -> Reply:
        name = request.path_params["name"]
        headers = headers_of(request)
        rid = request_id(headers)
        version = "-"
        try:
            service.deployment(name)
            await _authorize(service, request)
            document, binary = await _read(service, request, headers)
            given, rid = _id(document, rid)
            tensors = parse_inputs(document, binary, service.options.max_body_bytes)
            wanted, binary_out = _requested(document)
            method = "predict_proba" if wanted == ["predict_proba"] else "predict"

            def decode(spec: InputSpec) -> Inputs:
                return decode_tensors(tensors, spec)

            prediction, inputs = await service.predict(
                name,
                decode,
                method=method,
                version=request.path_params.get("version"),
                request_id=rid,
            )
            served = prediction.served
            version = served.version
            outputs = {method: prediction.outputs}
            for other in wanted:
                if other not in outputs:
                    outputs[other] = await served.infer(inputs, other)
            echoed = rid if given is None else given
            response = _infer_response(served, echoed, outputs, wanted or [method], binary_out)
            response.headers.update(model_headers(name, version, prediction.variant, rid))
        except Exception as exc:
            response = _error(exc, rid)
            if name in service.deployments:
                service.metrics.errors.labels(name, version, error_type(exc)).inc()
        response.metric = (name if name in service.deployments else "unknown", version)
        return response

    async def feedback(request: Request) -> Reply:
        try:
            name = request.path_params["name"]
            service.deployment(name)
            await _authorize(service, request, "send feedback")
            headers = headers_of(request)
            media_type(headers, ("", "application/json"))
            body = await read_body(request, headers, service.options.max_body_bytes)
            columns = feedback_columns(loads(body))
            if service.log is None:
                raise Unavailable(
                    "this server keeps no inference log, so it cannot store feedback",
                    hint="run `shipyard serve` inside a workspace",
                )
            if not service.log.offer_feedback(name, columns):
                raise Unavailable("the inference log is full; send the feedback again shortly")
            return json_response({"accepted": len(columns["label"])}, 202)
        except Exception as exc:
            return _error(exc)

    base = "/v2/models/{name}"
    versioned = base + "/versions/{version}"
    counted = Endpoint(infer, counter(service.metrics, "oip"))
    return [
        Route("/v2/health/live", Endpoint(live), methods=["GET"]),
        Route("/v2/health/ready", Endpoint(ready), methods=["GET"]),
        Route("/v2", Endpoint(server_metadata), methods=["GET"]),
        Route(base, Endpoint(model_metadata), methods=["GET"]),
        Route(versioned, Endpoint(model_metadata), methods=["GET"]),
        Route(base + "/ready", Endpoint(model_ready), methods=["GET"]),
        Route(versioned + "/ready", Endpoint(model_ready), methods=["GET"]),
        Route(base + "/infer", counted, methods=["POST"]),
        Route(versioned + "/infer", counted, methods=["POST"]),
        Route(base + "/feedback", Endpoint(feedback), methods=["POST"]),
    ]


async def _authorize(service: Serving, request: Request, action: str = "predict") -> None:
    if service.auth is not None:
        await service.auth.authorize(request.headers.get("authorization", ""), action)


async def _read(
    service: Serving, request: Request, headers: dict[bytes, bytes]
) -> tuple[Any, bytes]:
    media_type(headers, _ACCEPTED)
    body = await read_body(request, headers, service.options.max_body_bytes)
    raw = headers.get(HEADER_LENGTH.encode())
    if raw is None:
        return loads(body), b""
    header = raw.decode("latin-1")
    if not header.isdigit() or int(header) > len(body):
        raise InvalidInput(f"{HEADER_LENGTH} does not fit the body")
    size = int(header)
    return loads(body[:size]), body[size:]


def _id(document: Any, fallback: str) -> tuple[str | None, str]:
    """The request's ``id`` as given (None: absent or null), and the id the answer's
    headers and the inference log carry: the given one, unless it is empty."""
    given = document.get("id") if isinstance(document, dict) else None
    if given is None:
        return None, fallback
    if not isinstance(given, str):
        raise InvalidInput("the request 'id' must be a string")
    if len(given) > MAX_ID:
        raise InvalidInput(f"the request 'id' is longer than {MAX_ID} characters")
    return given, given or fallback


def _requested(document: dict[str, Any]) -> tuple[list[str], bool]:
    """Output names asked for, and whether the answer should be binary."""
    parameters = document.get("parameters") or {}
    binary = bool(isinstance(parameters, dict) and parameters.get("binary_data_output"))
    outputs = document.get("outputs")
    if outputs is None:
        return [], binary
    if not isinstance(outputs, list):
        raise InvalidInput("'outputs' must be a list")
    names = []
    for item in outputs:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in _OUTPUTS:
            raise InvalidInput(
                f"unknown output {name!r}", hint="the outputs are predict and predict_proba"
            )
        names.append(name)
        params = item.get("parameters") or {}
        if isinstance(params, dict) and params.get("binary_data"):
            binary = True
    return names, binary


def _infer_response(
    served: ServedVersion,
    rid: str,
    outputs: dict[str, Any],
    order: list[str],
    binary: bool,
) -> Reply:
    tensors = []
    blobs = []
    for name in order:
        tensor, blob = encode_output(name, outputs[name], binary)
        tensors.append(tensor)
        blobs.append(blob)
    body: dict[str, Any] = {"model_name": served.name, "model_version": served.version,
                            "id": rid, "outputs": tensors}  # fmt: skip
    header = dumps(body)
    if not binary:
        return Reply(header, media_type="application/json")
    return Reply(
        header + b"".join(blobs),
        media_type="application/octet-stream",
        headers={HEADER_LENGTH: str(len(header))},
    )


def _error(exc: BaseException, rid: str | None = None) -> Reply:
    status = error_status(exc)
    headers = {"x-request-id": rid} if rid else {}
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    return Reply(
        dumps({"error": error_message(exc)}), status, headers, media_type="application/json"
    )


def decode_tensors(tensors: list[Tensor], spec: InputSpec) -> Inputs:
    """OIP input tensors → checked inputs: columns by name, or one matrix / tensor."""
    if spec.columns is not None:
        columns = set(spec.columns)
        if all(t.name in columns for t in tensors):
            mapping = {}
            for t in tensors:
                array = t.array
                if array.ndim == 2 and array.shape[1] == 1:
                    array = array[:, 0]
                mapping[t.name] = array
            return spec.from_columns(mapping)
        if len(tensors) == 1:
            return spec.from_tensor(tensors[0].array)
        stray = next(t.name for t in tensors if t.name not in columns)
        raise SignatureMismatch(
            f"input {stray!r} is not a column of the model", field=stray,
            hint="send one input per column, named as the columns, or one [rows, columns] input",
        )  # fmt: skip
    names = spec.tensor_names
    if names is None or (len(names) == 1 and names[0] is None):
        if len(tensors) == 1:
            return spec.from_tensor(tensors[0].array)
        if names is not None:
            raise SignatureMismatch(f"the model takes one input; got {len(tensors)}")
    return spec.from_tensors({t.name: t.array for t in tensors})


def metadata(service: Serving, served: ServedVersion) -> dict[str, Any]:
    """``GET /v2/models/{name}``: signature as tensors, plus how the model is served."""
    spec = served.spec
    inputs: list[dict[str, Any]] = []
    signature = served.loaded.signature
    if signature is not None:
        schema = signature.inputs
        if spec.columns is not None:
            for column in schema.columns:  # type: ignore[union-attr]
                inputs.append({"name": column.name, "datatype": _datatype(column.dtype),
                               "shape": [-1]})  # fmt: skip
        else:
            for tensor in schema.tensors:  # type: ignore[union-attr]
                inputs.append({"name": tensor.name or "input",
                               "datatype": _datatype(tensor.dtype),
                               "shape": list(tensor.shape)})  # fmt: skip
    outputs = [{"name": "predict", "datatype": _output_datatype(signature), "shape": [-1]}]
    if served.has_proba:
        outputs.append({"name": "predict_proba", "datatype": "FP32" if served.fast else "FP64",
                        "shape": [-1, -1]})  # fmt: skip
    deployment = service.deployment(served.name)
    return {
        "name": served.name,
        "versions": deployment.versions(),
        "platform": served.platform,
        "inputs": inputs,
        "outputs": outputs,
        "parameters": {
            "version": served.version,
            "flavor": served.flavor,
            "reference": served.resolved.reference,
            "onnx_fast_path": served.fast_path_info(),
            "batching": {
                "max_batch_size": served.batch_options.max_batch_size,
                "max_wait_ms": served.batch_options.max_wait_ms,
                "inline": served.inline,
            },
            "load_seconds": round(served.report.seconds, 4),
            "memory_bytes": served.report.memory_bytes,
        },
    }


_DATATYPES = {"bool": "BOOL", "int8": "INT8", "int16": "INT16", "int32": "INT32",
              "int64": "INT64", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32",
              "uint64": "UINT64", "float16": "FP16", "float32": "FP32",
              "float64": "FP64"}  # fmt: skip


def _datatype(dtype: str) -> str:
    return _DATATYPES.get(dtype, "BYTES")


def _output_datatype(signature: Any) -> str:
    outputs = getattr(signature, "outputs", None)
    tensors = getattr(outputs, "tensors", None)
    if tensors:
        return _datatype(tensors[0].dtype)
    columns = getattr(outputs, "columns", None)
    if columns:
        return _datatype(columns[0].dtype)
    return "BYTES"
