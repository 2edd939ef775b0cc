"""The AppContext: what every window needs, passed in by constructor (no global app object)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.llm import ModelHolder
from services.settings import Preferences
from services.store import use_case
from services.vault import Vault
from ui.tasks import Task, TaskRunner


@dataclass
class AppContext:
    data_dir: Path
    tasks: TaskRunner
    vault: Vault | None = None
    settings: Preferences = field(default_factory=Preferences)
    llm: Any = field(default_factory=ModelHolder)  # the advisor's one loaded model

    def db(self, fn: Callable, /, *, on_done: Callable | None = None,
           on_error: Callable | None = None, write: bool = False, **kwargs) -> Task:
        """Run a service function in its own Session on a worker thread.

        fn is called as fn(session=..., **kwargs), as one use case: committed when it returns,
        rolled back when it raises. Writes go through the single write worker.
        """
        vault = self.vault

        def call():
            with use_case(vault, write=write) as session:
                return fn(session=session, **kwargs)

        call.__name__ = getattr(fn, "__name__", "db")
        return self.tasks.run(call, on_done=on_done, on_error=on_error,
                              pool="writes" if write else "reads")
