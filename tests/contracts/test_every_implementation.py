"""Every implementation of a domain's interface runs in some mode of the contract suites.

Each mode picks one implementation per domain through its context
(:data:`~tests.contracts.sdk_modes.DOMAINS`). A domain's interface is what
the implementations the modes pick have in common; every class under
``src/shipyard`` that has all of it (found by reading the source, not by a
hand list) must be one the modes pick. So a third implementation (a cache, a
new server client) fails here until a mode of the suites runs it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard
from shipyard.objects.http_store import HttpObjectStore
from shipyard.objects.store import ObjectStore
from tests.contracts.sdk_modes import DOMAINS, MODES, open_mode

SRC = Path(shipyard.__file__).parent


@dataclass
class Found:
    """A class as written in the source: its direct bases and the names it defines."""

    module: str
    bases: list[str]
    names: set[str] = field(default_factory=set)

    @property
    def is_protocol(self) -> bool:
        return "Protocol" in self.bases  # an interface, not an implementation


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):  # Generic[T], Protocol[T]
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _defined(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@functools.cache
def scan_classes(root: Path = SRC) -> dict[str, Found]:
    """Every top-level class of the package by ``module.Class``, with inherited names
    (bases resolved by name within the package)."""
    found: dict[str, Found] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(("shipyard", *path.relative_to(root).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                bases = [_base_name(b) for b in node.bases]
                found[f"{module}.{node.name}"] = Found(module, bases, _defined(node.body))
    by_name: dict[str, list[Found]] = defaultdict(list)
    for qualname, cls in found.items():
        by_name[qualname.rsplit(".", 1)[1]].append(cls)

    def inherited(cls: Found, seen: frozenset[int]) -> set[str]:
        names = set(cls.names)
        for base in cls.bases:
            for parent in by_name.get(base, []):
                if id(parent) not in seen:
                    names |= inherited(parent, seen | {id(parent)})
        return names

    for cls in found.values():
        cls.names = inherited(cls, frozenset({id(cls)}))
    return found


def public_members(cls: type) -> set[str]:
    """The public methods and properties of ``cls`` (instance attributes are not seen)."""
    names = set()
    for name in dir(cls):
        if name.startswith("_") or hasattr(object, name):
            continue
        value = inspect.getattr_static(cls, name)
        if callable(value) or isinstance(value, property | functools.cached_property):
            names.add(name)
    return names


def qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SHIPYARD_* variable of the shell (as tests.conftest does for each test)."""
    for name in [n for n in os.environ if n.startswith("SHIPYARD_")]:
        if name != "SHIPYARD_TEST_POSTGRES":
            monkeypatch.delenv(name)
    return monkeypatch


def _no_cli(*args: str, input: str | None = None) -> Result:
    raise AssertionError("picking implementations runs no command")


@pytest.fixture(scope="module")
def picked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, set[type]]]:
    """Domain → mode → the classes the mode's context picks (object backends included)."""
    seen: dict[str, dict[str, set[type]]] = defaultdict(lambda: defaultdict(set))
    folder = tmp_path_factory.mktemp("modes")
    for name in MODES:
        with (
            pytest.MonkeyPatch.context() as monkeypatch,
            open_mode(name, request, folder / name, _clean(monkeypatch), _no_cli) as mode,
        ):
            for domain, pick in DOMAINS.items():
                made = pick(mode.context)
                seen[domain][name].add(type(made))
                if isinstance(made, HttpObjectStore):  # objects_of leaves it to the caller
                    made.close()
            store = mode.objects  # closed with the mode
            if isinstance(store, ObjectStore):  # the server's backend is S3, as postgresql's
                seen["object backends"][name].add(type(store.backend))
    return seen


def unjoined(
    picked: dict[str, dict[str, set[type]]], classes: dict[str, Found]
) -> dict[str, set[str]]:
    """Domain → the classes that have its interface but that no mode picks."""
    missing: dict[str, set[str]] = {}
    for domain, by_mode in picked.items():
        impls = set().union(*by_mode.values())
        interface = set.intersection(*(public_members(c) for c in impls))
        assert len(interface) >= 4, f"{domain}: {sorted(interface)} is too little to tell"
        having = {q for q, c in classes.items() if not c.is_protocol and interface <= c.names}
        run = {qualname(c) for c in impls}
        assert run <= having, f"the scan missed {domain} classes: {sorted(run - having)}"
        if having - run:
            missing[domain] = having - run
    return missing


def test_every_class_with_a_domains_interface_runs_in_some_mode(
    picked: dict[str, dict[str, set[type]]],
) -> None:
    assert unjoined(picked, scan_classes()) == {}, (
        "these implement a domain's interface but no mode of tests/contracts runs them: "
        "pick them from a mode's context (sdk_modes.py)"
    )


def test_an_implementation_added_without_joining_is_named(
    picked: dict[str, dict[str, set[type]]], tmp_path: Path
) -> None:
    (tmp_path / "cached.py").write_text(
        "class Reads:\n    def datasets(self): ...\n    def versions(self): ...\n"
        "    def get(self): ...\n"
        "class CachedRecords(Reads):\n    def register(self): ...\n"
    )
    classes = scan_classes() | scan_classes(tmp_path)
    assert unjoined(picked, classes) == {"datasets": {"shipyard.cached.CachedRecords"}}


def test_the_server_and_the_embedded_stores_pick_apart(
    picked: dict[str, dict[str, set[type]]],
) -> None:
    for domain in DOMAINS:
        server, embedded = picked[domain]["server"], picked[domain]["sqlite"]
        assert server.isdisjoint(embedded), f"{domain}: the server mode runs no client of its own"
    assert picked["datasets"]["sqlite"] != picked["datasets"]["postgresql"]  # the fast path
    assert picked["object backends"]["sqlite"] != picked["object backends"]["postgresql"]


def test_the_scan_finds_a_class_that_joins_no_mode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "base.py").write_text(
        "class Base:\n    def get(self): ...\n    def versions(self): ...\n"
    )
    (package / "cached.py").write_text(
        "from typing import Protocol\nfrom .base import Base\n"
        "class Api(Protocol):\n    def get(self): ...\n    def versions(self): ...\n"
        "    def register(self): ...\n"
        "class Cached(Base):\n    def register(self): ...\n"
    )
    found = scan_classes(package)
    assert found["shipyard.cached.Api"].is_protocol
    assert {"get", "versions", "register"} <= found["shipyard.cached.Cached"].names
