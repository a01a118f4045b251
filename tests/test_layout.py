"""The layout of ``connector/``: folders along the data flow, imports only downstream.

Read off the sources (``git ls-files connector``, parsed, never imported):

* a module imports only from the folders its own folder may use (:data:`MAY_IMPORT`);
* no import cycle between modules (imports under ``if TYPE_CHECKING:`` excepted);
* no module over 400 lines and no function over 40 lines (``def`` to its last line,
  decorators excluded), except the Alembic migrations, which are history and not edited.

The emulators are their own package (``emulators/``), checked by
``tests/emulators/test_package_boundary.py``.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BASE = frozenset({"connector", "errors", "clock", "retry", "secrets", "crashpoints", "log",
                  "config", "config_section", "notifications_config", "webhooks_config"})
"""Root modules every folder may import; they import only each other."""

_INBOUND = frozenset({"schema", "salesforce", "billing", "mapping", "ledger"})
_WORKFLOWS = _INBOUND | {"inbound", "notify"}  # a workflow hands notify/ a typed fact
_DISPATCH = _WORKFLOWS | {"workflows", "notify"}
_SYNC = _DISPATCH | {"dispatch"}

MAY_IMPORT: dict[str, frozenset[str]] = {
    # what the systems have; the adapters to them; the mapping language
    "schema": frozenset(),
    "salesforce": frozenset({"schema"}),
    "billing": frozenset(),
    "notify": frozenset({"ledger"}),  # composes from the notification rows it is handed
    "mapping": frozenset({"schema"}),
    # the hub (the Stripe inbox reads event timestamps with billing.shapes)
    "ledger": frozenset({"billing"}),
    # the stages, in the order data passes through them
    "inbound": _INBOUND,
    "workflows": _WORKFLOWS,
    "dispatch": _DISPATCH,
    "sync": _SYNC | {"ops"},
    # the operations surface
    "webhook": frozenset({"ledger", "ops"}),
    "plan": _SYNC | {"sync"},
    "commands": _SYNC | {"sync", "plan", "webhook", "ops", "service", "reports"},
    "cli": frozenset({"commands"}),
    # the operations surface added since: states and metrics (the engine reports to them),
    # systemd, reports off the ledger
    "ops": _SYNC | {"sync", "webhook", "reports"},  # /dashboard shows the reports
    "service": _SYNC | {"sync", "ops"},
    "reports": frozenset({"ledger", "schema", "mapping", "inbound", "commands"}),
}
"""Folder (or root module) -> the folders it may import besides :data:`BASE` and itself."""

EXEMPT = ("connector/ledger/migrations/",)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40


@dataclass(frozen=True)
class Import:
    """One ``import`` of a connector module: who, what, where, and whether for types only."""

    importer: str
    imported: str
    line: int
    typing_only: bool


@cache
def sources() -> dict[str, Path]:
    """Dotted module name -> file, for every tracked Python file of the product."""
    listed = subprocess.run(["git", "ls-files", "connector"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.split()
    found = {}
    for name in listed:
        if name.endswith(".py") and not name.startswith(EXEMPT) and (REPO / name).exists():
            found[module_name(name)] = REPO / name
    return found


def module_name(path: str) -> str:
    dotted = path.removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def folder(module: str) -> str:
    """``connector.inbound.stripe.apply_inbox`` -> ``inbound``; the root package -> itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports() -> Iterator[Import]:
    known = sources()
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        typing_lines = _type_checking_lines(tree)
        for node in ast.walk(tree):
            for target in _targets(node, package, known):
                yield Import(module, target, node.lineno, node.lineno in typing_lines)


def _targets(node: ast.AST, package: str, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "connector"]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parents = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parents, base] if base else parents)
    if base.split(".")[0] != "connector":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def allowed(importer: str, imported: str) -> bool:
    """Whether a module of ``importer``'s folder may import ``imported``."""
    source, target = folder(importer), folder(imported)
    if target == source or target in BASE:
        return True
    if source in BASE:
        return False
    return target in MAY_IMPORT[source]


def test_every_folder_has_a_rule() -> None:
    assert {"connector.sync.engine", "connector.ledger.journal"} <= sources().keys()
    folders = {folder(m) for m in sources()}
    assert folders - BASE - MAY_IMPORT.keys() == set()


def test_imports_go_only_where_the_layout_allows() -> None:
    wrong = sorted(f"{i.importer}:{i.line} imports {i.imported}" for i in imports()
                   if not allowed(i.importer, i.imported))
    assert wrong == []


def test_the_rules_reject_an_upstream_import() -> None:
    assert not allowed("connector.ledger.journal", "connector.workflows.potential")
    assert not allowed("connector.mapping.loader", "connector.ledger.models")
    assert not allowed("connector.errors", "connector.ledger.models")
    assert allowed("connector.dispatch.outbox", "connector.ledger.unit_of_work")


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {m: set() for m in sources()}
    for edge in imports():
        if not edge.typing_only and edge.imported in graph and edge.imported != edge.importer:
            graph[edge.importer].add(edge.imported)
    assert find_cycles(graph) == []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_find_cycles_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]


def long_modules() -> dict[str, int]:
    """Path -> lines, for the modules over the limit."""
    return {str(p.relative_to(REPO)): n for p in sources().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}


def test_no_module_over_400_lines() -> None:
    assert long_modules() == {}


def long_functions() -> dict[str, int]:
    """``path:function`` -> lines from ``def`` to the last line, for those over the limit."""
    found = {}
    for path in sources().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{path.relative_to(REPO)}:{node.name}"] = length
    return found


def test_no_function_over_40_lines() -> None:
    assert long_functions() == {}
