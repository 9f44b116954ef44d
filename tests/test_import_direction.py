"""The command modules import one way (issue 19, as passed by): ``cli`` -> ``sparql.cli`` / ``registry.cli``
-> library modules, never back, also not from inside a function (imports there were how the circle hid)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "blinakg"
COMMANDS = {"blinakg.cli", "blinakg.sparql.cli", "blinakg.registry.cli", "blinakg.drafting.command"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every blinakg module a file imports, wherever the import statement is."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = f"{base}.{node.module}" if node.level and node.module else base if node.level else node.module
            if target and target.startswith("blinakg"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("blinakg"))
    return found


def test_no_module_imports_a_command_module_but_the_commands_above_it() -> None:
    modules = {_module(p): _imports(p) for p in PACKAGE.rglob("*.py")}
    assert len(modules) > 40
    # registry.cli takes the store options of sparql.cli: one way too (sparql.cli imports no other command).
    allowed = {"blinakg.cli": {"blinakg.sparql.cli", "blinakg.registry.cli"}, "blinakg.__main__": {"blinakg.cli"},
               "blinakg.registry.cli": {"blinakg.sparql.cli", "blinakg.drafting.command"},
               "blinakg.drafting.command": {"blinakg.sparql.cli"}}
    wrong = sorted((name, command) for name, imported in modules.items() for command in COMMANDS & imported
                   if command != name and command not in allowed.get(name, set()))
    assert wrong == []
