"""``shipyard serve`` and ``shipyard deploy lambda``: thin commands over the serving package."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shipyard.cli.console import console, print_json, success, warn
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require

if TYPE_CHECKING:
    from shipyard.serving.options import BatchOptions

__all__ = ["deploy_app", "serve"]

deploy_app = typer.Typer(help="Deploy models outside Shipyard (AWS Lambda).", no_args_is_help=True)


def serve(
    ctx: typer.Context,
    models: Annotated[
        list[str],
        typer.Argument(
            help="Models to serve: a model directory, a versions folder (DIR or DIR@ALIAS), "
            "models:/NAME@ALIAS; NAME=REF serves it as NAME.",
            show_default=False,
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes sharing the port.")
    ] = 1,
    max_batch_size: Annotated[
        int, typer.Option("--max-batch-size", min=1, help="Requests merged per predict call.")
    ] = 64,
    max_wait_ms: Annotated[
        float,
        typer.Option("--max-wait-ms", min=0, help="Wait for more requests under load (ms)."),
    ] = 0.0,
    batch: Annotated[
        list[str] | None,
        typer.Option("--batch", help="Per model: NAME=SIZE[,WAIT_MS], e.g. churn=32,1."),
    ] = None,
    canary: Annotated[
        list[str] | None,
        typer.Option("--canary", help="Send a share of traffic to an alias: churn@staging=10."),
    ] = None,
    shadow: Annotated[
        list[str] | None,
        typer.Option("--shadow", help="Mirror traffic to an alias, answer from the primary."),
    ] = None,
    idle_ttl: Annotated[
        str, typer.Option("--idle-ttl", help="Unload models idle this long (0: never).")
    ] = "15m",
    memory_budget_mb: Annotated[
        float, typer.Option("--memory-budget-mb", min=0, help="Unload LRU models past this.")
    ] = 0.0,
    preload: Annotated[
        bool, typer.Option("--preload", help="Load every model at start; never unload.")
    ] = False,
    poll: Annotated[
        str, typer.Option("--poll", help="How often to check whether aliases moved (0: never).")
    ] = "10s",
    onnx: Annotated[
        bool, typer.Option("--onnx/--no-onnx", help="Use the checked ONNX fast path.")
    ] = True,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Allow pickles, unknown types and importing the module of a class a "
            "manifest names (your own models).",
        ),
    ] = False,
    log_rate: Annotated[
        float | None,
        typer.Option(
            "--log-rate", min=0, max=1, help="Share of requests kept in the inference log."
        ),
    ] = None,
    auth: Annotated[
        bool, typer.Option("--auth", help="Require a Shipyard API token (viewer role).")
    ] = False,
    max_body_mb: Annotated[
        float, typer.Option("--max-body-mb", min=0.001, help="Larger bodies get 413.")
    ] = 16.0,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate (chain) for HTTPS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request (slower).")
    ] = False,
) -> None:
    """Serve models over HTTP: Open Inference Protocol v2 and MLflow's /invocations."""
    require("serve", "shipyard serve")
    from shipyard.core.durations import parse_duration
    from shipyard.models.source import open_source
    from shipyard.serving.options import OPTIONS_ENV, BatchOptions, ServeOptions
    from shipyard.serving.routing import build_deployments, parse_split

    state: CliState = ctx.obj
    settings = state.context().settings
    if bool(tls_cert) != bool(tls_key):
        raise InvalidInput("TLS needs both --tls-cert and --tls-key")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise InvalidInput(f"cannot read {path}", hint="check the path and its permissions")
    has_store = settings.workspace is not None or bool(settings.store.uri)
    rate = log_rate if log_rate is not None else (0.1 if has_store else 0.0)
    if rate > 0 and not has_store:
        warn("no workspace here: the inference log is off (run inside `shipyard init`'s folder)")
        rate = 0.0
    if auth and not has_store:
        raise InvalidInput("--auth checks tokens in a metadata store: run it inside a workspace")
    splits = tuple(parse_split(c, shadow=False) for c in canary or ()) + tuple(
        parse_split(s, shadow=True) for s in shadow or ()
    )
    default_batch = BatchOptions(max_batch_size, max_wait_ms)
    options = ServeOptions(
        models=tuple(models),
        batch=default_batch,
        batch_per_model=dict(_batch_option(b) for b in batch or ()),
        splits=splits,
        idle_ttl_s=parse_duration(idle_ttl).total_seconds(),
        memory_budget_mb=memory_budget_mb,
        preload=preload,
        poll_s=parse_duration(poll).total_seconds(),
        onnx=onnx,
        trusted=trust,
        log_rate=rate,
        auth=auth,
        max_body_mb=max_body_mb,
        workspace=str(settings.workspace or state.start_dir) if has_store else "",
    )
    # Resolve every reference now: a typo fails here, in one line, not in each worker.
    deployments = build_deployments([open_source(m) for m in models], splits)
    for name in options.batch_per_model:
        if name not in deployments:
            raise InvalidInput(
                f"--batch names {name!r}, which is not served",
                hint="served: " + ", ".join(deployments),
            )
    if host not in ("127.0.0.1", "localhost", "::1") and not tls_cert:
        warn("serving plain HTTP on a network address: use --tls-cert/--tls-key or a TLS proxy")
    if auth:
        state.context().db  # noqa: B018  (refuse to start on an unreachable store)
    scheme = "https" if tls_cert else "http"
    console.print(f"Serving on {scheme}://{host}:{port} (workers: {workers})")
    for deployment in deployments.values():
        line = f"  {deployment.name}  version {deployment.primary.resolved.version}"
        line += f"  ({deployment.primary.source.reference})"
        if deployment.canary is not None:
            line += (
                f"  canary {deployment.canary.percent:g}% → {deployment.canary.resolved.version}"
            )
        if deployment.shadow is not None:
            line += f"  shadow → {deployment.shadow.resolved.version}"
        console.print(line)
    os.environ[OPTIONS_ENV] = options.to_json()
    for key_name, value in state.flags.items():  # workers rebuild the context from these
        if value is not None and key_name != "debug":
            os.environ["SHIPYARD_" + key_name.replace(".", "_").upper()] = str(value)
    state.close()
    metrics_dir = _multiprocess_metrics(workers)
    from shipyard.server.run import serve as run_server

    try:
        run_server(
            "shipyard.serving.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            tls_cert=str(tls_cert or ""),
            tls_key=str(tls_key or ""),
            log_level="info",
            access_log=access_log,
            timeout_graceful_shutdown=10,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _multiprocess_metrics(workers: int) -> str | None:
    """Several workers: a fresh folder for prometheus-client's multiprocess mode."""
    from shipyard.serving.metrics import MULTIPROCESS_ENV

    if workers <= 1:
        return None
    folder = tempfile.mkdtemp(prefix="shipyard-metrics-")
    os.environ[MULTIPROCESS_ENV] = folder
    return folder


def _batch_option(text: str) -> tuple[str, BatchOptions]:
    name, sep, rest = text.partition("=")
    size_text, _, wait_text = rest.partition(",")
    try:
        if not sep or not name:
            raise ValueError(text)
        from shipyard.serving.options import BatchOptions

        return name, BatchOptions(int(size_text), float(wait_text or 0))
    except ValueError:
        raise InvalidInput(
            f"cannot read --batch {text!r}", hint="write NAME=SIZE[,WAIT_MS], e.g. churn=32,1"
        ) from None


@deploy_app.command("lambda")
def deploy_lambda(
    ctx: typer.Context,
    model: Annotated[
        str, typer.Argument(help="Model to serve: churn@production or models:/churn@production.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the SAM template.")
    ] = Path("template.yaml"),
    memory_mb: Annotated[int, typer.Option("--memory-mb", help="Function memory.")] = 2048,
    timeout_s: Annotated[int, typer.Option("--timeout", help="Function timeout (s).")] = 30,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write an AWS SAM template serving MODEL from Lambda (model read from the S3 store)."""
    from shipyard.serving.sam import LambdaDeployment, registry_reference, sam_template

    state: CliState = ctx.obj
    settings = state.context().settings
    reference = registry_reference(model)
    store = settings.objects.path if settings.objects.path.startswith("s3://") else ""
    text = sam_template(LambdaDeployment(reference, store, memory_mb, timeout_s))
    if out.exists() and not force:
        raise InvalidInput(f"{out} exists", hint="pass --force to overwrite it")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror}") from None
    if as_json:
        print_json({"template": str(out), "model": reference, "object_store": store or None})
        return
    success(f"wrote {out}: Lambda serving {reference}")
    if not store:
        warn("the object store is not on S3: set the ObjectStore parameter when deploying")
