"""How ``shipyard audit verify`` and ``audit checkpoint`` show what they found."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.markup import escape

from shipyard.audit.report import AuditReport
from shipyard.audit.writer import WriteResult
from shipyard.cli.console import console, success, warn

__all__ = ["print_report", "print_written"]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def print_report(report: AuditReport) -> None:
    """Breaks first (one line each), then the verdict, the checkpoint used, the warnings."""
    for b in report.breaks:
        where = f"entry #{b.seq}" if b.seq is not None else "the log"
        console.print(f"[bold red]✗[/] {where}: {escape(b.problem)}")
    if report.intact:
        checked = f", checked against {report.checkpoints} signed checkpoint(s)"
        success(f"the audit log is intact ({report.entries:,} entries"
                f"{checked if report.checkpoint else ''})")  # fmt: skip
    else:
        console.print(
            f"[bold red]the audit log was tampered with ({len(report.breaks)} problem(s))[/]"
        )
    point = report.checkpoint
    if point is not None:
        console.print(
            f"newest checkpoint: entry #{point.seq} ({point.count:,} entries) of "
            f"{_when(point.time)}, key {point.key[:16]}…, {escape(point.where)}"
        )
        newer = report.after_checkpoint
        if newer:
            what, them = ("1 entry is", "it") if newer == 1 else (f"{newer:,} entries are", "them")
            warn(f"{what} newer than the newest checkpoint: deleting {them} would go "
                 "unnoticed until the next one")  # fmt: skip
    for line in report.warnings:
        warn(line)


def print_written(result: WriteResult, where: str) -> None:
    if result.written is None:
        if result.latest is None:
            warn("the audit log is empty: nothing to checkpoint")
        else:
            success(f"the audit log has not changed since the checkpoint of "
                    f"{_when(result.latest.time)} (entry #{result.latest.seq})")  # fmt: skip
        return
    point = result.written.checkpoint
    success(f"signed checkpoint of entry #{point.seq} ({point.count:,} entries) "
            f"written to {where}{(result.key or '').rsplit('/', 1)[-1]}")  # fmt: skip
    console.print(f"key {point.key[:16]}…, digest {point.digest}")
    for outcome in result.exports:
        if outcome.error is None:
            console.print(f"copied to {escape(outcome.target)}")
        else:
            warn(f"not copied to {outcome.target}: {outcome.error}")
