"""Rich views of data results for the CLI (JSON output needs none of this).

The views that build tables import Rich's table and text modules themselves:
``data add`` prints lines only, and those imports were a tenth of its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from shipyard.cli.console import human_bytes

if TYPE_CHECKING:
    from rich.console import RenderableType

    from shipyard.data.adding import AddResult
    from shipyard.data.diffs import DatasetDiff, FileChange
    from shipyard.data.history import LogEntry, Shown
    from shipyard.data.pointer import Pointer
    from shipyard.data.statuses import PathStatus

__all__ = [
    "add_lines",
    "diff_view",
    "log_table",
    "ls_table",
    "show_view",
    "status_view",
]

_STATE = {"unchanged": "green", "modified": "yellow", "deleted": "red"}


def _rows(rows: int | None) -> str:
    return "" if rows is None else f"{rows:,} rows"


def add_lines(results: list[AddResult]) -> list[str]:
    lines = []
    for r in results:
        what = f"{r.files:,} files, " if r.kind == "directory" else ""
        rows = f", {r.rows:,} rows" if r.rows is not None else ""
        version = f" as v{r.version}" if r.version is not None else ""
        verb = "[green]added[/]" if r.changed else "[dim]unchanged[/]"
        cache = f"; {r.hashed:,} read" if r.hashed != r.files else ""
        lines.append(
            f"{verb} {escape(r.name)}{version} ({what}{human_bytes(r.size)}{rows}) "
            f"[dim]{r.digest.short}{cache}[/]"
        )
        lines.extend(f"  [yellow]![/] {escape(note)}" for note in r.notes)
    return lines


def status_view(items: list[PathStatus]) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if not items:
        return Text("nothing is tracked yet (track data with `shipyard data add PATH`)")
    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    table.add_column("path", overflow="fold")
    table.add_column("state")
    table.add_column("local store")
    table.add_column("remote")
    for s in items:
        state = f"[{_STATE.get(s.state, 'white')}]{s.state}[/]"
        if s.state == "modified" and s.kind == "directory" and (s.added or s.removed or s.modified):
            state += f" (+{s.added} -{s.removed} ~{s.modified})"
        local = "present" if s.in_store else "[red]missing (pull)[/]"
        remote = "" if s.pushed is None else "pushed" if s.pushed else "[yellow]not pushed[/]"
        table.add_row(escape(s.name), state, local, remote)
    return table


def ls_table(pointers: list[Pointer]) -> RenderableType:
    from rich.table import Table

    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    table.add_column("path", overflow="fold")
    for column in ("kind", "size", "files", "rows", "digest"):
        table.add_column(
            column, justify="right" if column in ("size", "files", "rows") else "left", no_wrap=True
        )
    for p in pointers:
        table.add_row(
            escape(p.name), p.kind, human_bytes(p.size), f"{p.files:,}",
            "" if p.rows is None else f"{p.rows:,}", p.digest.short,
        )  # fmt: skip
    return table


def log_table(name: str, entries: list[LogEntry]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    for column in ("commit", "date", "version", "size", "rows", "digest"):
        table.add_column(
            column, justify="right" if column in ("size", "rows") else "left", no_wrap=True
        )
    table.add_column("subject", overflow="fold")
    for e in entries:
        commit = e.commit.short if e.commit else "[yellow]work tree[/]"
        date = e.commit.date.strftime("%Y-%m-%d %H:%M") if e.commit else ""
        version = f"v{e.version}" if e.version is not None else ""
        p = e.pointer
        table.add_row(
            commit, date, version,
            human_bytes(p.size) if p else "[red]removed[/]",
            "" if p is None or p.rows is None else f"{p.rows:,}",
            p.digest.short if p else "",
            escape(e.commit.subject) if e.commit else "(not committed)",
        )  # fmt: skip
    return Group(Text(f"versions of {name}", style="bold"), table)


def _change_line(c: FileChange) -> str:
    colour = {"added": "green", "removed": "red", "modified": "yellow"}[c.change]
    sizes = ""
    if c.size_before is not None and c.size_after is not None:
        sizes = f"{human_bytes(c.size_before)} → {human_bytes(c.size_after)}"
    elif c.size_after is not None:
        sizes = human_bytes(c.size_after)
    elif c.size_before is not None:
        sizes = human_bytes(c.size_before)
    rows = ""
    if c.rows_before is not None and c.rows_after is not None:
        delta = c.rows_after - c.rows_before
        rows = f", rows {c.rows_before:,} → {c.rows_after:,} ({delta:+,})"
    elif c.rows_after is not None:
        rows = f", {c.rows_after:,} rows"
    line = f"  [{colour}]{c.change:8}[/] {escape(c.path)}  {sizes}{rows}"
    for col in c.columns_added:
        line += f"\n             [green]+ column {escape(col)}[/]"
    for col in c.columns_removed:
        line += f"\n             [red]- column {escape(col)}[/]"
    for col, old, new in c.types_changed:
        line += f"\n             [yellow]~ column {escape(col)}: {old} → {new}[/]"
    return line


def diff_view(diffs: list[DatasetDiff]) -> list[str]:
    if not diffs:
        return ["no tracked data changed"]
    lines = []
    for d in diffs:
        colour = {"added": "green", "removed": "red", "modified": "yellow"}[d.change]
        before, after = d.before, d.after
        summary = ""
        if before and after:
            summary = f"{human_bytes(before.size)} → {human_bytes(after.size)}"
            if d.kind == "directory":
                summary += f", {before.files:,} → {after.files:,} files"
        elif after or before:
            p = after or before
            assert p is not None
            summary = human_bytes(p.size)
        lines.append(f"[bold {colour}]{d.change}[/] {escape(d.name)} ({d.kind}, {summary})")
        shown = d.files if d.kind == "directory" else [f for f in d.files if f.path == d.name]
        for change in shown[:50]:
            lines.append(_change_line(change))
        if len(shown) > 50:
            lines.append(f"  … and {len(shown) - 50:,} more (--json lists them all)")
        if d.note:
            lines.append(f"  [yellow]![/] {escape(d.note)}")
    return lines


def show_view(shown: Shown) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    p = shown.pointer
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("path", escape(shown.path))
    if shown.path != shown.name:
        grid.add_row("tracked as", f"{escape(shown.name)} ({p.kind}, {p.digest.short})")
    else:
        grid.add_row("kind", p.kind)
        grid.add_row("digest", f"blake3:{p.digest.hex}")
    grid.add_row("size", human_bytes(shown.size))
    if p.kind == "directory" and shown.path == shown.name:
        grid.add_row("files", f"{p.files:,}")
    if shown.rows is not None:
        grid.add_row("rows", f"{shown.rows:,}")
    if shown.record is not None:
        r = shown.record
        commit = f", on commit {r.git_commit[:10]}" if r.git_commit else ""
        grid.add_row(
            "version", f"v{r.version}, added by {escape(r.created_by)} "
            f"{r.created_at:%Y-%m-%d %H:%M} UTC{commit}",
        )  # fmt: skip
        if r.message:
            grid.add_row("message", escape(r.message))
    parts: list[RenderableType] = [grid]
    if shown.profile is not None:
        from shipyard.profiling.render import render_profile

        parts.append(render_profile(shown.profile, title=f"profile of {shown.path}"))
    elif shown.note:
        parts.append(Text(f"! {shown.note}", style="yellow"))
    return Group(*parts)
