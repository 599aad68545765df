"""The git commands dataset versioning needs, run as subprocesses (no git library).

Pointer files are read at any revision with ``git cat-file --batch`` (many
files in one process) and their history with ``git log``. Paths given to
and returned by this module are relative to the *workspace* root; the
workspace may be a sub-folder of the repository, and :class:`GitRepo` maps
between the two.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shipyard.core.errors import InvalidInput, NotFound, Unavailable

__all__ = ["Commit", "GitRepo", "find_repo"]

_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: datetime
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


def _run(args: list[str], cwd: Path, *, input: bytes | None = None, check: bool = True) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env={**os.environ, **_ENV},
            timeout=600,
        )
    except FileNotFoundError:
        raise Unavailable("git is not installed", hint="install git to version data") from None
    except subprocess.TimeoutExpired:
        raise Unavailable(f"git {args[0]} took too long in {cwd}") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


class _GitFailed(Exception):
    pass


def find_repo(workspace: Path) -> GitRepo | None:
    """The repository holding ``workspace``, or None when it is not in one."""
    try:
        top = _run(["rev-parse", "--show-toplevel"], workspace).decode().strip()
    except _GitFailed:
        return None
    return GitRepo(Path(top), workspace)


class GitRepo:
    def __init__(self, top: Path, workspace: Path) -> None:
        self.top = top.resolve()
        self.workspace = workspace.resolve()
        rel = self.workspace.relative_to(self.top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        try:
            return _run(list(args), self.top, input=input)
        except _GitFailed as exc:
            raise InvalidInput(f"git {args[0]}: {exc}") from None

    def resolve(self, rev: str) -> str:
        """The commit a revision names; raises :class:`InvalidInput` for an unknown one."""
        if not rev or rev.startswith("-"):
            raise InvalidInput(f"{rev!r} is not a git revision")
        try:
            out = _run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], self.top)
        except _GitFailed:
            raise InvalidInput(
                f"unknown git revision {rev!r}",
                hint="name a commit, branch or tag (see `git log`)",
            ) from None
        return out.decode().strip()

    def head(self) -> str | None:
        """The commit checked out, or None in a repository without commits."""
        try:
            return _run(["rev-parse", "--verify", "--quiet", "HEAD"], self.top).decode().strip()
        except _GitFailed:
            return None

    def is_tracked(self, name: str) -> bool:
        """True if git tracks the workspace path ``name`` (a file, or files under a folder)."""
        out = _run(["ls-files", "-z", "--", self.prefix + name], self.top, check=False)
        return bool(out.strip(b"\0"))

    def pointer_names(self, rev: str | None, suffix: str) -> list[str]:
        """Workspace paths of files ending in ``suffix``: at ``rev``, or in the work tree."""
        pattern = f"*{suffix}"
        if rev is None:
            out = _run(
                ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", pattern],
                self.workspace,
            )
            return sorted({p for p in out.decode().split("\0") if p.endswith(suffix)})
        commit = self.resolve(rev)
        out = self.git("ls-tree", "-r", "-z", "--name-only", commit, "--", self.prefix or ".")
        names = out.decode().split("\0")
        return sorted(
            n[len(self.prefix) :] for n in names if n.endswith(suffix) and n.startswith(self.prefix)
        )

    def read_files(self, rev: str, names: list[str]) -> dict[str, bytes]:
        """Contents of workspace paths at ``rev``; absent paths are left out (one git process)."""
        if not names:
            return {}
        commit = self.resolve(rev)
        request = "".join(f"{commit}:{self.prefix}{n}\n" for n in names).encode()
        out = self.git("cat-file", "--batch", input=request)
        found: dict[str, bytes] = {}
        pos = 0
        for name in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 2 and header[1] == b"missing":
                continue
            size = int(header[2])
            found[name] = out[pos : pos + size]
            pos += size + 1
        return found

    def read_file(self, rev: str, name: str) -> bytes | None:
        return self.read_files(rev, [name]).get(name)

    def log(self, name: str, *, limit: int = 100) -> list[Commit]:
        """Commits that changed the workspace path ``name``, newest first."""
        if self.head() is None:
            return []  # a repository without commits has no history to walk
        out = self.git(
            "log", f"--max-count={limit}", "--format=%H%x1f%an%x1f%aI%x1f%s%x1e", "--",
            self.prefix + name,
        )  # fmt: skip
        commits = []
        for record in out.decode("utf-8", "replace").split("\x1e"):
            parts = record.strip().split("\x1f")
            if len(parts) == 4:
                sha, author, date, subject = parts
                commits.append(Commit(sha, author, datetime.fromisoformat(date), subject))
        return commits


WANTED_REF = "refs/shipyard/wanted"
"""Where :func:`clone_for_reading` puts the revision asked for."""
TODAY_REF = "refs/shipyard/today"
"""Where :func:`clone_for_reading` puts the default branch's tip: today's configuration."""


def clone_for_reading(url: str, rev: str | None, into: Path) -> Path:
    """A bare, blob-less, shallow copy of ``url`` (only what reading pointers needs): its
    default branch as :data:`TODAY_REF` and ``rev``, when given, as :data:`WANTED_REF`."""
    refspecs = [f"+HEAD:{TODAY_REF}"] + ([f"+{rev}:{WANTED_REF}"] if rev else [])
    try:
        _run(["init", "-q", "--bare", str(into)], into.parent)
        _run(["remote", "add", "origin", url], into)
        _run(["fetch", "-q", "--depth=1", "--filter=blob:none", "origin", *refspecs], into)
    except _GitFailed as exc:
        raise NotFound(
            f"cannot fetch {rev or 'HEAD'} from the repository {url}: {exc}",
            hint="check the repository URL and the revision",
        ) from None
    return into
