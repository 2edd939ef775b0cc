"""Keeps the journal's meaning index current in the background (issue 22): after the vault opens
(a first start on an existing journal, a restore, an import) and after every change to an
entry, a batch at a time: read and embed on the slow worker, then a short write of its own.
Saves never wait for it. Progress and time left go to the status line; a missing meaning model
is one line there, and search stays words only."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from services.errors import ModelUnavailable
from services.memory import index
from ui.context import AppContext

SETTLE_MS = 800       # after a save, wait for the typing to stop
CATCH_UP_MS = 3000    # after the vault opens, let the window fill first


class MeaningIndexer(QObject):
    status = Signal(str)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.running = False
        self.again = False
        self.total = 0
        self.done = 0
        self.started = 0.0
        self.timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self.timer.timeout.connect(self.start)
        ctx.notices.changed.connect(self._changed)

    def catch_up(self) -> None:
        self.timer.start(CATCH_UP_MS)

    def _changed(self, changes) -> None:
        if changes.touches("interaction", "vault") and self.ctx.vault is not None \
                and not self.ctx.vault.is_locked:
            self.timer.start(SETTLE_MS)

    def start(self) -> None:
        if self.running:
            self.again = True
            return
        self.running, self.again, self.done = True, False, 0
        self.started = time.perf_counter()
        self.ctx.db(self._read, background=True, on_done=self._embedded,
                    on_error=self._failed,
                    data_dir=self.ctx.data_dir, holder=self.ctx.meaning, first=True)

    # --- on the slow worker ----------------------------------------------------------------
    @staticmethod
    def _read(*, session, data_dir, holder, first: bool = False):
        embedder = holder.get(data_dir)
        model = index.model_id(embedder)
        total = index.stale_count(session, model) if first else None
        batch = index.read_stale(session, model, embedder.count_tokens)
        return model, total, index.embed(batch, embedder)

    # --- on the UI thread ------------------------------------------------------------------
    def _embedded(self, outcome) -> None:
        model, total, batch = outcome
        if total is not None:
            self.total = total
        if not batch or self.ctx.vault is None or self.ctx.vault.is_locked:
            return self._finished()
        self.ctx.db(index.store, pending=batch, model=model, write=True,
                    on_done=lambda _n: self._stored(len(batch)), on_error=self._failed,
                    initiator=self)

    def _stored(self, count: int) -> None:
        self.done += count
        if self.total >= index.BATCH * 2:
            rate = self.done / max(time.perf_counter() - self.started, 1e-6)
            left = max(self.total - self.done, 0) / rate
            self.status.emit(f"Indexing by meaning: {min(self.done, self.total)} of "
                             f"{self.total} entries, about {left:.0f} s left")
        self.ctx.db(self._read, background=True, on_done=self._embedded,
                    on_error=self._failed,
                    data_dir=self.ctx.data_dir, holder=self.ctx.meaning)

    def _finished(self) -> None:
        if self.total >= index.BATCH * 2:
            self.status.emit(f"Indexed by meaning: {self.total} entries.")
        self.running, self.total = False, 0
        if self.again:
            self.start()

    def _failed(self, err) -> None:
        self.running = False
        if isinstance(err, ModelUnavailable):
            self.status.emit(str(err))
        else:
            self.status.emit("Indexing by meaning stopped; search uses words until the next "
                             "start.")
