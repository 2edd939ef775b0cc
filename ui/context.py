"""The AppContext: what every window needs, passed in by constructor (no global app object)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from services.advice.model_holder import ModelHolder
from services.changes import collected
from services.memory.embedder import EmbedderHolder
from services.settings import Preferences
from services.store import use_case
from services.vault import Vault
from ui.notices import Notices
from ui.tasks import Task, TaskRunner, parameters


@dataclass
class AppContext:
    data_dir: Path
    tasks: TaskRunner
    vault: Vault | None = None
    settings: Preferences = field(default_factory=Preferences)
    llm: Any = field(default_factory=ModelHolder)  # the advisor's one loaded model
    meaning: Any = field(default_factory=EmbedderHolder)  # the one meaning model (issue 22)
    notices: Notices = field(default_factory=Notices)  # what changed, which partner is chosen

    def db(self, fn: Callable, /, *, on_done: Callable | None = None,
           on_error: Callable | None = None, on_progress: Callable | None = None,
           write: bool = False, slow: bool = False, background: bool = False, initiator=None,
           **kwargs) -> Task:
        """Run a service function in its own Session on a worker thread.

        fn is called as fn(session=..., **kwargs), as one use case: committed when it returns,
        rolled back when it raises. Writes go through the single write worker; once one has
        committed, `on_done` gets its result and then `notices` announces what it changed
        (on the UI thread), so every view that shows it can redraw. `slow`: a long read (the
        model writing) on its own pool, so it never holds up the others; `background`: upkeep
        (the meaning index) on a pool of its own that no one waits for; a function that takes
        `task` gets it (progress, cancel).
        """
        vault = self.vault
        wants_task = "task" in parameters(fn)

        def call(task):
            with use_case(vault, write=write) as session:
                result = fn(session=session, **kwargs, **({"task": task} if wants_task else {}))
            return result, collected(session)

        def delivered(outcome) -> None:
            result, changed = outcome
            if on_done is not None:
                on_done(result)
            self.notices.announce(replace(changed, initiator=initiator))

        call.__name__ = getattr(fn, "__name__", "db")
        return self.tasks.run(call, on_done=delivered, on_error=on_error,
                              on_progress=on_progress,
                              pool="writes" if write else "slow" if slow else
                              "background" if background else "reads")
