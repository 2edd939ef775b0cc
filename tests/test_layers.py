"""House rules that code can check: models/ and services/ stay free of Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAIN_LAYERS = ("models", "services")


def qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in ("PySide6", "shiboken6", "ui")]
    return found


def test_no_qt_import_in_models_or_services():
    offenders = {str(p.relative_to(ROOT)): qt_imports(p)
                 for layer in PLAIN_LAYERS for p in (ROOT / layer).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 10  # the scan really saw the modules


def test_importing_every_service_loads_no_qt():
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts)
               for layer in PLAIN_LAYERS for p in (ROOT / layer).rglob("*.py")
               if "migrations" not in p.parts]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_test_runs_without_the_network():
    import socket

    import pytest

    with pytest.raises(OSError, match="tried to reach the network"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
