"""When sync runs (issue 24): a few seconds after the last change to the journal's rows, every
few minutes, and when asked (Sync now); only while sync is on and the journal is unlocked, one
round at a time, on the write worker (a round writes the journal), never on the UI thread.

A round that applied another device's changes is announced as a change to every kind of row of
every partner, so each view redraws. The last status, round and error are kept here for the
status line and the Sync dialog, which follow `status_changed`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from services.changes import Changes
from services.errors import ConfidantError
from services.sync import service as sync
from services.sync.device import Round
from services.sync.spec import ORDER
from ui.errors import log_unexpected

log = logging.getLogger(__name__)

DEBOUNCE_MS = 3_000      # after the last change notice that touches the journal's rows
PERIOD_MS = 120_000      # the others' changes, fetched even when nothing is typed here
SYNCED_KINDS = frozenset(ORDER)


def one_line(err: BaseException) -> str:
    """What a failed sync call says to the user: one readable line, never a traceback."""
    if isinstance(err, ConfidantError):
        return " ".join(str(err).split())
    if isinstance(err, OSError):
        return (f"The sync folder could not be used ({err.strerror or err}); nothing was "
                "lost, sync again later.")
    log_unexpected(err)
    return "Sync stopped on an unexpected error. Your journal is safe; the details are in the log."


def remote_changes(initiator=None) -> Changes:
    """What a round that applied others' changes may have touched: any row, any partner."""
    return Changes(SYNCED_KINDS, frozenset(), every_partner=True, initiator=initiator)


class SyncScheduler(QObject):
    status_changed = Signal(object)   # services.sync.service.Status
    round_done = Signal(object)       # services.sync.device.Round
    failed = Signal(str)              # a round's failure, one line
    remote = True   # as a notice's initiator: what it announces came from another device

    def __init__(self, ctx, parent=None, *, debounce_ms: int = DEBOUNCE_MS,
                 period_ms: int = PERIOD_MS):
        super().__init__(parent)
        self.ctx = ctx
        self.status: sync.Status | None = None
        self.running = False        # a round is under way
        self.again = False          # asked for while one ran: one more after it
        self.rounds = 0
        self.last_round: Round | None = None
        self.last_time: datetime | None = None
        self.last_error = ""
        self._catch_up = False
        self.debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self.debounce.timeout.connect(self.sync_now)
        self.periodic = QTimer(self, interval=period_ms)
        self.periodic.timeout.connect(self.sync_now)
        ctx.notices.changed.connect(self._notice)
        self.start()

    # --- state --------------------------------------------------------------------------------
    @property
    def unlocked(self) -> bool:
        return self.ctx.vault is not None and not self.ctx.vault.is_locked

    @property
    def on(self) -> bool:
        return self.status is not None and self.status.on and self.unlocked

    def start(self) -> None:
        """The journal was opened or unlocked: read the status, then catch up once."""
        self._catch_up = True
        self.refresh()

    def stop(self) -> None:
        """The journal locked: no timer runs, nothing is shown."""
        self.debounce.stop()
        self.periodic.stop()
        self.again = False
        self.status = None
        self.status_changed.emit(sync.Status(on=False))

    def refresh(self) -> None:
        if self.unlocked:
            self.ctx.tasks.run(sync.status, self.ctx.vault, on_done=self._status_arrived,
                               on_error=self._status_failed)

    def _status_arrived(self, status: sync.Status) -> None:
        if not self.unlocked:
            return
        self.status = status
        if status.on:
            if not self.periodic.isActive():
                self.periodic.start()
            if self._catch_up:
                self.debounce.start()
        else:
            self.debounce.stop()
            self.periodic.stop()
            self.last_round, self.last_error = None, ""
        self._catch_up = False
        self.status_changed.emit(status)

    def _status_failed(self, err: BaseException) -> None:
        self.last_error = one_line(err)
        self.failed.emit(self.last_error)

    # --- rounds -------------------------------------------------------------------------------
    def _notice(self, changes: Changes) -> None:
        if changes.initiator is self:
            return
        if changes.touches("vault"):   # locked (drop it all) or restored (read it again)
            self.start() if self.unlocked else self.stop()
        elif self.on and changes.kinds & SYNCED_KINDS:
            self.debounce.start()   # restarts: the round waits for the typing to stop

    def sync_now(self) -> bool:
        """Start a round now, or right after the one under way. False when sync is off."""
        if not self.on:
            return False
        self.debounce.stop()
        if self.running:
            self.again = True
            return True
        self.running, self.again = True, False
        self.ctx.tasks.run(sync.sync_now, self.ctx.vault, pool="writes",
                           on_done=self._round_done, on_error=self._round_failed)
        return True

    def _round_done(self, result: Round) -> None:
        self.running = False
        self.rounds += 1
        self.last_round, self.last_time = result, datetime.now()
        # a folder not there, a file refused: said until a round goes through cleanly
        self.last_error = " ".join(result.refused[0].split()) if result.refused else ""
        if result.changed and self.unlocked:
            self.ctx.notices.announce(remote_changes(initiator=self))
        self.round_done.emit(result)
        self._next()

    def _round_failed(self, err: BaseException) -> None:
        self.running = False
        self.last_time = datetime.now()
        self.last_error = one_line(err)
        self.failed.emit(self.last_error)
        self._next()

    def _next(self) -> None:
        self.refresh()
        if self.again and self.on:
            self.sync_now()
