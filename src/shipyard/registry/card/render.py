"""A model card as Markdown, self-contained HTML (inline CSS, no scripts) or JSON."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from shipyard.registry.card.build import missing_fields

__all__ = ["FORMATS", "render_card", "render_html", "render_markdown"]

FORMATS = ("md", "html", "json")


def render_card(card: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(card, indent=2, default=str) + "\n"
    if fmt == "html":
        return render_html(card)
    return render_markdown(card)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _short(text: Any, width: int = 12) -> str:
    value = "" if text is None else str(text)
    return value[:width] + "…" if len(value) > width else value


def _move(event: dict[str, Any]) -> str:
    start = "—" if event["from_version"] is None else f"v{event['from_version']}"
    end = "unset" if event["to_version"] is None else f"v{event['to_version']}"
    return f"{start} → {end}"


def _gates(event: dict[str, Any]) -> str:
    gates = event.get("gates")
    if not gates:
        return "no gates" if event["action"] == "promote" else ""
    return f"{gates['passed']}/{gates['total']} gates passed"


def render_markdown(card: dict[str, Any]) -> str:
    details = card["model_details"]
    params = card["model_parameters"]
    considerations = card["considerations"]
    lineage = details["lineage"]
    out: list[str] = []
    add = out.append
    add(f"# Model card: {details['name']} version {details['version']['name']}")
    add("")
    add(
        f"`{lineage['uri']}` · registered {lineage['registered_at'][:19]} by "
        f"{lineage['registered_by']} · aliases: {', '.join(details['aliases']) or 'none'}"
    )
    missing = missing_fields(card)
    if missing:
        add("")
        add(
            f"> **Incomplete:** {', '.join(missing)} not written yet "
            f"(`shipyard models describe {details['name']} --{missing[0].replace('_', '-')} …`)."
        )
    add("")
    add("## Overview")
    add("")
    add(details["overview"] or "_Not written yet._")
    if details.get("documentation"):
        add("")
        add(details["documentation"])
    owners = ", ".join(o["name"] for o in details["owners"])
    licences = ", ".join(x["identifier"] for x in details["licenses"])
    if owners or licences:
        add("")
        add(f"Owners: {owners or '—'} · Licence: {licences or '—'}")
    add("")
    add("## Intended use")
    add("")
    _bullets(add, [u["description"] for u in considerations["use_cases"]])
    if considerations["users"]:
        add("")
        add("Intended users:")
        add("")
        _bullets(add, [u["description"] for u in considerations["users"]])
    add("")
    add("## Model")
    add("")
    add(f"- Architecture: {params['model_architecture']}")
    add(f"- Inputs: {params['input_format']}")
    add(f"- Outputs: {params['output_format']}")
    signed = f"signed (key {_short(lineage['signer'])})" if lineage["signed"] else "not signed"
    add(f"- Files: {lineage['files']}, {lineage['size']:,} bytes, {signed}")
    add("")
    add("## Training data")
    add("")
    training = [d for d in params["data"] if d["role"] == "training"]
    if not training:
        add("_The version's run logged no input files._")
    for data in training:
        _dataset(add, data)
    preprocessing = lineage.get("params") or {}
    if preprocessing:
        add("")
        add("Parameters recorded by the run (preprocessing and training):")
        add("")
        add("| param | value |")
        add("| --- | --- |")
        for key, value in sorted(preprocessing.items()):
            add(f"| {_cell(key)} | {_cell(value)} |")
    add("")
    add("## Evaluation")
    add("")
    metrics = card["quantitative_analysis"]["performance_metrics"]
    if not metrics:
        add("_No metrics recorded._")
    else:
        add("| metric | value | measured on | rows | source |")
        add("| --- | --- | --- | --- | --- |")
        for metric in metrics:
            digest = f" (`{_short(metric['dataset_digest'])}`)" if metric["dataset_digest"] else ""
            rows = _number(metric["rows"]) if metric["rows"] else "—"
            add(
                f"| {_cell(metric['type'])} | {_number(metric['value'])} | "
                f"{_cell(metric['dataset'])}{digest} | {rows} | {_cell(metric['source'])} |"
            )
    add("")
    add("## Limitations")
    add("")
    _bullets(add, [x["description"] for x in considerations["limitations"]])
    if considerations["tradeoffs"]:
        add("")
        add("Trade-offs:")
        add("")
        _bullets(add, [x["description"] for x in considerations["tradeoffs"]])
    add("")
    add("## Ethical considerations")
    add("")
    _bullets(add, [x["name"] for x in considerations["ethical_considerations"]])
    add("")
    add("## Lineage")
    add("")
    run = lineage.get("run") or {}
    git = lineage.get("git") or {}
    if run:
        add(
            f"- Run: `{run.get('id')}` ({run.get('name')}, experiment {run.get('experiment')}, "
            f"{run.get('status')}, by {run.get('created_by')})"
        )
    else:
        add(f"- Source: {lineage['source']} (no run recorded)")
    if git.get("commit"):
        dirty = ", uncommitted changes" if git.get("dirty") else ""
        add(f"- Code: git commit `{git['commit'][:12]}` on {git.get('branch') or '?'}{dirty}")
    env = lineage.get("environment") or {}
    if env.get("python"):
        add(f"- Environment: {env['python']} on {env.get('platform')}")
    add(f"- Manifest: BLAKE3 `{lineage['manifest_digest']}`")
    add("")
    add("## Deployment history")
    add("")
    history = details["deployment_history"]
    if not history:
        add("_No alias has pointed at any version of this model yet._")
    else:
        add("| time (UTC) | alias | move | action | by | reason | gates |")
        add("| --- | --- | --- | --- | --- | --- | --- |")
        for event in history:
            mark = " ◀" if event["this_version"] else ""
            add(
                f"| {event['time'][:19]} | {event['alias']} | {_move(event)}{mark} | "
                f"{event['action']} | {_cell(event['by'])} | {_cell(event['reason'])} | "
                f"{_gates(event)} |"
            )
    add("")
    add(
        f"_Generated by Shipyard; fields follow the Model Card Toolkit schema "
        f"{card['schema_version']}._"
    )
    return "\n".join(out) + "\n"


def _bullets(add: Any, items: list[str]) -> None:
    if not items:
        add("_Not written yet._")
    for item in items:
        add(f"- {item}")


def _cell(value: Any) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _dataset(add: Any, data: dict[str, Any]) -> None:
    size = f", {data['size']:,} bytes" if data.get("size") else ""
    add(
        f"- `{data['path']}` — BLAKE3 `{_short(data['digest'], 16)}`{size}"
        + (f"; {data['description']}" if data.get("rows") else "")
        + (f" ({data['note']})" if data.get("note") else "")
    )
    for column in data.get("columns", [])[:30]:
        figures = ", ".join(
            f"{k} {_number(column[k])}" for k in ("mean", "min", "max", "distinct") if k in column
        )
        add(
            f"  - {column['name']} ({column['dtype']}): "
            f"{column['null_fraction']:.1%} missing" + (f", {figures}" if figures else "")
        )


def render_html(card: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("shipyard.registry.card", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["short"] = _short
    env.globals.update(move=_move, gates=_gates)
    return env.get_template("card.html.j2").render(card=card, missing=missing_fields(card))
