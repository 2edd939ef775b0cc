"""Where Confidant keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Confidant"
DB_NAME = "journal.db"
HEADER_NAME = "vault.header"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data dir: an explicit override, then CONFIDANT_DATA_DIR, then the platform's."""
    chosen = override or os.environ.get("CONFIDANT_DATA_DIR")
    path = Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir(APP_NAME))
    return path.resolve()


def db_path(root: Path) -> Path:
    return root / DB_NAME


def header_path(root: Path) -> Path:
    return root / HEADER_NAME
