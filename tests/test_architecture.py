"""The layout's rules, checked on the real import graph: dependencies point one way (handlers -> bot -> store
-> content), no cycle between modules or between the packages of a folder, no chat SDK below `handlers/`
(the contracts are in pyproject.toml, run by import-linter), and `bot/` keeps only a handful of flat modules."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("handlers", "bot", "store", "content")
BOT_FLAT = {"config", "couriers", "errors", "ids", "logs", "metrics", "replies", "services"}
"""What `bot/` may hold beside its feature folders: settings, the reply model and the couriers' port (what
every feature and platform shares), and the process's plumbing."""


def _module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.split(".")[0] not in PACKAGES:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module.split(".")[0] in PACKAGES and module not in index:
            visit(module)
    return cycles


def test_import_contracts_hold(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    broken = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert broken == 0, "an import contract is broken (see the report above)"


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert _module_cycles(grimp.build_graph(*PACKAGES, cache_dir=None)) == []


def test_bot_is_grouped_by_feature() -> None:
    flat = {path.stem for path in (ROOT / "bot").glob("*.py")} - {"__init__"}
    assert flat <= BOT_FLAT, f"new flat modules in bot/: {sorted(flat - BOT_FLAT)}; put them in a feature folder"
    for folder in (ROOT / "tests").iterdir():
        if folder.is_dir() and folder.name not in ("support", "__pycache__"):
            assert (ROOT / "bot" / folder.name).is_dir() or (ROOT / "handlers" / folder.name).is_dir() \
                or (ROOT / folder.name).is_dir(), f"tests/{folder.name} mirrors no package"
