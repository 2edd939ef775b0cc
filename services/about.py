"""Version and licences, from one place (pyproject.toml / the installed metadata)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def version() -> str:
    if PYPROJECT.exists():
        return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    return metadata.version("confidant")
