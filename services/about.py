"""Version and licences, from one place (pyproject.toml / the installed metadata)."""

from __future__ import annotations

import tomllib
from importlib import metadata

from services.paths import APP_ROOT, resource

PYPROJECT = APP_ROOT / "pyproject.toml"   # the build ships it beside the code


def version() -> str:
    if PYPROJECT.exists():
        return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    return metadata.version("confidant")


def licences_text() -> str:
    return resource("LICENSES.md").read_text(encoding="utf-8")
