"""The one background-task helper: every service call from the UI goes through it.

`tasks.run(fn, on_done=..., on_error=...)` runs fn(*args, **kwargs) on a thread pool and
delivers the result or the exception back on the UI thread by signal. Reads share a small pool;
writes go through a single worker so they never race. A running function can report progress
and see a cancel through the `Task` it may take as `task=`.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from services.errors import Interrupted

log = logging.getLogger(__name__)


class Task(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)
    finished = Signal()

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable, args, kwargs):
        super().__init__()
        self.task, self.fn, self.args, self.kwargs = task, fn, args, kwargs
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread: only signals leave it
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the UI
            self.task.failed.emit(err)
        else:
            self.task.done.emit(result)
        self.task.finished.emit()


class TaskRunner(QObject):
    """Owns the pools; windows get it through the AppContext."""

    error = Signal(object)  # failures nobody handled: the window shows them in one place

    def __init__(self):
        super().__init__()
        self.reads = QThreadPool()
        self.reads.setMaxThreadCount(2)
        self.writes = QThreadPool()
        self.writes.setMaxThreadCount(1)
        self.slow = QThreadPool()  # the model: long jobs never block reads or writes
        self.slow.setMaxThreadCount(1)
        self.background = QThreadPool()  # upkeep nobody waits for (the meaning index)
        self.background.setMaxThreadCount(1)
        self._live: set[Task] = set()
        self._upkeep: set[Task] = set()   # background tasks, never counted as busy
        self.abandoned = False  # see shutdown

    def run(self, fn: Callable, *args, on_done: Callable | None = None,
            on_error: Callable | None = None, on_progress: Callable | None = None,
            pool: str = "reads", **kwargs) -> Task:
        task = Task(getattr(fn, "__name__", "task"))
        if "task" in parameters(fn):
            kwargs["task"] = task
        if on_done:
            task.done.connect(on_done)
        task.failed.connect(on_error or self._unhandled)
        if on_progress:
            task.progress.connect(on_progress)
        self._live.add(task)
        task.finished.connect(lambda: self._live.discard(task))
        if pool == "background":
            self._upkeep.add(task)
            task.finished.connect(lambda: self._upkeep.discard(task))
        getattr(self, pool).start(_Runnable(task, fn, args, kwargs))
        return task

    def write(self, fn: Callable, *args, **kwargs) -> Task:
        return self.run(fn, *args, pool="writes", **kwargs)

    def _unhandled(self, err: BaseException) -> None:
        if not isinstance(err, Interrupted):
            self.error.emit(err)

    def cancel_all(self) -> None:
        for task in list(self._live):
            task.cancel()

    def shutdown(self, grace_ms: int = 500, write_ms: int = 10_000) -> bool:
        """At quit: cancel every task, let writes finish (the draft saved at quit), give reads
        and model jobs `grace_ms`. Returns whether all ended; if not, `abandoned` is set: a job
        that cannot stop mid-step (a model loading, a window of speech) still runs, and the app
        ends without waiting for it (its result was for a window that is gone)."""
        self.cancel_all()
        writes = self.writes.waitForDone(write_ms)
        self.abandoned = not (writes and all(p.waitForDone(grace_ms)
                                             for p in (self.reads, self.slow,
                                                       self.background)))
        return not self.abandoned

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every pool is idle (tests, lock, quit)."""
        return all(p.waitForDone(msecs) for p in (self.writes, self.reads, self.slow,
                                                  self.background))

    @property
    def busy(self) -> bool:
        """Whether work someone waits for is under way (background upkeep is not)."""
        return bool(self._live - self._upkeep)


def parameters(fn: Callable) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()
