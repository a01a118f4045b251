"""The connector and the emulators are separate packages: neither imports the other, and
neither has an import cycle among its own modules. (The demo loads the emulators at run time
with :func:`importlib.import_module`, so the daemon installs and imports without them.)

Modules are the tracked ``.py`` files of ``connector/`` and ``emulators/`` (``git ls-files``);
their imports are read with :mod:`ast`, wherever they stand (function bodies too), except
under ``if TYPE_CHECKING:``, which never runs.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = {"connector": REPO, "crm_emulators": REPO / "emulators"}
"""Each top-level package and the folder it sits in."""


def _tracked_modules() -> dict[str, Path]:
    """Dotted module name → file, for every tracked module of both packages."""
    listed = subprocess.run(["git", "ls-files", "connector", "emulators"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    modules: dict[str, Path] = {}
    for name in listed:
        path = REPO / name
        for package, root in ROOTS.items():
            if path.suffix == ".py" and path.is_relative_to(root / package):
                parts = path.relative_to(root).with_suffix("").parts
                dotted = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                modules[dotted] = path
    return modules


MODULES = _tracked_modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for s in child.orelse for n in _import_nodes_of(s))
            continue
        yield from _import_nodes_of(child)


def _import_nodes_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _import_nodes(node)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_names(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports, absolute: ``from a.b import c`` names ``a.b.c``
    when that is a module, else ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        source = _absolute(module, node, path.name == "__init__.py")
        for alias in node.names:
            candidate = f"{source}.{alias.name}"
            names.add(candidate if candidate in MODULES else source)
    return names


def import_graph() -> dict[str, set[str]]:
    """Each module → the modules of either package it imports."""
    return {module: {name for name in imported_names(module, path) if name in MODULES}
            for module, path in MODULES.items()}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    for start in sorted(graph):
        if state.get(start) == "done":
            continue
        trail, stack = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[trail.pop()] = "done"
                stack.pop()
            elif state.get(step) == "open":
                return [*trail[trail.index(step):], step]
            elif step not in state:
                state[step] = "open"
                trail.append(step)
                stack.append(iter(sorted(graph[step])))
    return None


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def test_both_packages_are_found() -> None:
    assert "connector.cli" in MODULES
    assert "crm_emulators.salesforce.soql_parser" in MODULES
    assert "crm_emulators" in MODULES


@pytest.mark.parametrize(("package", "forbidden"),
                         [("connector", "crm_emulators"), ("crm_emulators", "connector")])
def test_a_package_does_not_import_the_other(package: str, forbidden: str) -> None:
    crossings = sorted(
        f"{module} imports {name}"
        for module, path in MODULES.items() if _top(module) == package
        for name in imported_names(module, path) if _top(name) == forbidden)

    # the demo loads the emulators at run time, by name, so that is no import
    assert crossings == []


def test_there_is_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle_and_names_its_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}

    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def test_relative_and_function_level_imports_are_read(tmp_path: Path) -> None:
    module = tmp_path / "__init__.py"
    module.write_text("from . import clock\nfrom .server import X\n"
                      "def f():\n    import crm_emulators.seed\n"
                      "if TYPE_CHECKING:\n    import connector.cli\n", encoding="utf-8")

    names = imported_names("crm_emulators", module)

    assert names == {"crm_emulators.clock", "crm_emulators.server", "crm_emulators.seed"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _top(m) == "crm_emulators"))
def test_emulator_modules_and_functions_stay_short(module: str) -> None:
    text = MODULES[module].read_text(encoding="utf-8")
    long_functions = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None and node.end_lineno - node.lineno >= 40]

    assert text.count("\n") <= 400
    assert long_functions == []
