"""Issue 19: no import cycle in services/ or ui/, counting imports inside functions too (an
import placed in a function to dodge a cycle still is one). A package's own modules may import
its face (`__init__`) and the face may import them; a cycle is any other loop of modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("models", "services", "ui")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports anywhere in it (`from a import b` counts a.b when
    that is a module, else a)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if whole in known:
                    found.add(whole)
                elif node.module in known:
                    found.add(node.module)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def package_face(a: str, b: str) -> bool:
    """a imports b where one is the package the other lives in: how a face re-exports."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_import_cycle_in_services_or_ui():
    found = modules()
    known = set(found)
    graph = {m: {i for i in imports_of(p, known) if i != m and not package_face(m, i)}
             for m, p in found.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one():
    """The finder itself: a loop through a function-level import is a cycle."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
