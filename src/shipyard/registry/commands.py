"""CLI groups of the model side: ``shipyard keys …``, ``shipyard models …``, ``shipyard ci``.

The directory-level model commands (sign, verify, inspect, import-mlflow) are
here; the registry's version commands are in ``version_commands.py``, the
alias and promotion commands in ``alias_commands.py``, ``ci init`` in
``ci_commands.py``. All join the ``models`` group when :func:`register` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipyard.cli.console import console, human_bytes, print_json, success
from shipyard.cli.state import CliState

__all__ = ["keys_app", "models_app", "register"]

keys_app = typer.Typer(help="Model-signing keys (ECDSA P-256).", no_args_is_help=True)
models_app = typer.Typer(
    help="The model registry: versions, aliases, promotion gates, cards; model directories.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _keys_dir(ctx: typer.Context) -> Path:
    state: CliState = ctx.obj
    return state.context().layout.keys_dir


@keys_app.command("generate")
def keys_generate(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key pair.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create this workspace's signing key pair in .shipyard/keys/."""
    from shipyard.models.signing.keys import generate_keys

    info = generate_keys(_keys_dir(ctx), force=force)
    if as_json:
        print_json(info.to_dict())
        return
    success("Generated an ECDSA P-256 signing key pair")
    console.print(f"  private key: {escape(str(info.private_key))} (mode 0600, keep it secret)")
    console.print(f"  fingerprint: {info.fingerprint}")
    console.print("Public key (share it with those who verify your models):")
    console.print(escape(str(info.public_key)))


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show this workspace's key and the public keys it trusts."""
    from shipyard.models.signing.keys import list_keys

    keys = list_keys(_keys_dir(ctx))
    if as_json:
        print_json([k.to_dict() for k in keys])
        return
    if not keys:
        console.print("No keys yet: create a pair with [bold]shipyard keys generate[/]")
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("name", "fingerprint", "public key"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(escape(key.name), key.fingerprint[:16] + "…", escape(str(key.public_key)))
    console.print(table)


@keys_app.command("trust")
def keys_trust(
    ctx: typer.Context,
    public_key: Annotated[Path, typer.Argument(help="PEM file of the signer's public key.")],
    name: Annotated[str, typer.Option("--name", help="A name for the signer.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a key of that name.")] = False,
) -> None:
    """Accept model signatures made by another key."""
    from shipyard.models.signing.keys import trust_key

    info = trust_key(_keys_dir(ctx), public_key, name, force=force)
    success(f"Trusting key {info.name!r} (fingerprint {info.fingerprint[:16]}…)")


@models_app.command("sign")
def models_sign(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Model directory to sign.")],
    key: Annotated[
        Path | None, typer.Option("--key", help="Private key (default: the workspace's).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a model directory (OpenSSF model-signing format, model.sig inside it)."""
    from shipyard.models.signing.keys import PRIVATE_KEY_FILE
    from shipyard.models.signing.sign import sign_model

    private_key = key if key is not None else _keys_dir(ctx) / PRIVATE_KEY_FILE
    result = sign_model(directory, private_key)
    if as_json:
        print_json(result.to_dict())
        return
    success(f"Signed {result.directory} (key {result.fingerprint[:16]}…)")
    console.print(f"  signature: {escape(str(result.signature))}")


@models_app.command("verify")
def models_verify(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Model directory to verify.")],
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="Trusted public key (repeatable; default: workspace keys)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a model's file digests and its signature against trusted keys."""
    from shipyard.models.model_dir.digests import verify_files
    from shipyard.models.model_dir.load import read_manifest
    from shipyard.models.signing.keys import trusted_public_keys
    from shipyard.models.signing.verify import verify_model

    manifest = read_manifest(directory)
    verify_files(directory, manifest.files)
    keys = key if key else trusted_public_keys(_keys_dir(ctx))
    result = verify_model(directory, keys, required=True)
    if as_json:
        print_json({**result.to_dict(), "files": len(manifest.files)})
        return
    success(
        f"{directory}: {len(manifest.files)} files match their digests; signature valid "
        f"(key {escape(str(result.key))})"
    )


@models_app.command("inspect")
def models_inspect(
    directory: Annotated[Path, typer.Argument(help="Model directory.")],
    as_json: JsonOption = False,
) -> None:
    """Show a model directory's flavor, signature and files, and check their digests."""
    from shipyard.core.signature import ColumnSchema
    from shipyard.models.model_dir.digests import verify_files
    from shipyard.models.model_dir.load import read_manifest

    manifest = read_manifest(directory)
    verify_files(directory, manifest.files)
    if as_json:
        print_json(manifest.to_dict())
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("flavor", escape(manifest.flavor))
    grid.add_row("saved", escape(f"{manifest.created_at} by Shipyard {manifest.shipyard_version}"))
    grid.add_row(
        "frameworks",
        escape(", ".join(f"{k} {v}" for k, v in sorted(manifest.framework_versions.items()))),
    )
    grid.add_row("files", f"{len(manifest.files)}, {human_bytes(manifest.size)}, digests verified")
    signature = manifest.signature
    if signature is None:
        grid.add_row("signature", "none (saved without an input example)")
    else:
        for label, schema in (("inputs", signature.inputs), ("outputs", signature.outputs)):
            if schema is None:
                continue
            if isinstance(schema, ColumnSchema):
                fields = [f"{c.name}: {c.dtype}" for c in schema.columns]
            else:
                fields = [
                    f"{t.name or 'tensor'}: {t.dtype}{t.shape_text()}" for t in schema.tensors
                ]
            shown = ", ".join(fields[:8])
            if len(fields) > 8:
                shown += f", … {len(fields) - 8} more (--json lists all)"
            grid.add_row(label, escape(shown))
    console.print(grid)


@models_app.command("import-mlflow")
def models_import_mlflow(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="MLflow model directory (holding MLmodel).")],
    destination: Annotated[
        Path | None,
        typer.Argument(help="New folder for the Shipyard model (optional with --name)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Register it as the next version of this model."),
    ] = None,
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Allow unpickling: only for models from a trusted source."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Convert an MLflow scikit-learn model to skops (no pickle): a folder, a version, or both."""
    from shipyard.core.errors import InvalidInput
    from shipyard.models.mlflow_import import import_mlflow

    if destination is None and name is None:
        raise InvalidInput(
            "say where the imported model goes: a DESTINATION folder, --name MODEL, or both",
            hint="e.g. shipyard models import-mlflow mlruns/0/<run>/artifacts/model --name churn",
        )
    if name is not None:
        from shipyard.core.model_ref import check_model_name
        from shipyard.registry.publish import scratch_dir

        check_model_name(name)
        state: CliState = ctx.obj
        context = state.context()
        with scratch_dir(context, "mlflow") as scratch:
            folder = destination if destination is not None else scratch / "model"
            manifest = import_mlflow(source, folder, trusted=trust)
            version = context.registry.publish_directory(
                folder, name, description=f"imported from MLflow ({source})", source="mlflow"
            )
        if as_json:
            print_json(version.to_dict())
            return
        success(f"Imported {source} as {version.uri} ({manifest.flavor}, no pickle)")
    else:
        assert destination is not None
        manifest = import_mlflow(source, destination, trusted=trust)
        if as_json:
            print_json(manifest.to_dict())
            return
        success(f"Imported {source} into {destination} ({manifest.flavor}, no pickle)")
    if manifest.signature is None:
        console.print("  the MLflow model had no signature or input example")


def register(app: typer.Typer) -> None:
    from shipyard.registry import alias_commands, version_commands  # noqa: F401  (add commands)
    from shipyard.registry.ci_commands import ci_app

    app.add_typer(keys_app, name="keys")
    app.add_typer(models_app, name="models")
    app.add_typer(ci_app, name="ci")
