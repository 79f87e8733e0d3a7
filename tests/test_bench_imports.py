"""The benchmarks import Caseflow inside their functions (a child process each): a name they import
that has moved would only show when someone runs them. Every such import is resolved here."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def caseflow_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("caseflow"):
            for alias in node.names:
                yield node.module, alias.name, node.lineno


def test_every_name_a_benchmark_imports_exists(app):
    missing = []
    for path in sorted(BENCH.glob("*.py")):
        for module, name, line in caseflow_imports(path):
            found = importlib.import_module(module)
            if not hasattr(found, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ModuleNotFoundError:
                    missing.append(f"{path.name}:{line} {module}.{name}")
    assert missing == []


def test_the_check_finds_a_moved_name(tmp_path):
    bench = tmp_path / "b.py"
    bench.write_text("def f():\n    from caseflow.reports.facts import CASE_COLUMNS\n")
    [(module, name, _)] = list(caseflow_imports(bench))
    assert not hasattr(importlib.import_module(module), name)
