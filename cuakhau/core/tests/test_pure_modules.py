"""The domain rules stay plain Python: no Django anywhere in their import graph.

The list of pure modules is the one mypy checks strictly (pyproject.toml, [tool.mypy] files), so
a module added there is held to this rule too.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PURE = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def module_path(name: str) -> Path:
    return ROOT / (name.replace(".", "/") + ".py")


def test_the_pure_modules_are_listed():
    assert "cuakhau/declarations/lifecycle.py" in PURE
    assert "cuakhau/checks/rules.py" in PURE
    assert all((ROOT / path).exists() for path in PURE)


def test_no_pure_module_reaches_django():
    seen: set[str] = set()
    todo = [path.removesuffix(".py").replace("/", ".") for path in PURE]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in imports_of(module_path(module)):
            assert not name.startswith(("django", "ninja")), f"{module} imports {name}"
            if name.startswith("cuakhau.") and module_path(name).exists():
                todo.append(name)
    assert "cuakhau.reference.identifiers" in seen
