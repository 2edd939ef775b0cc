"""Settings → Sync (issue 24): turn sync on through a folder the user already syncs, join a
journal synced there, see the devices and what is left to send, sync now, stop, and review the
free text two devices changed at once. Every service call runs through the task helper; a
failure is one line in the dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from services import journal
from services.changes import Changes
from services.sync import service as sync
from ui import theme
from ui.sync_scheduler import one_line, remote_changes
from ui.sync_status import ConflictList, DevicesTable, plural, wrapped


def folder_state(*, session, folder: str) -> tuple[bool, int]:
    """Whether this journal is empty, and how many synced journals `folder` holds."""
    empty = not journal.list_partners(session=session)
    return empty, len(sync.journals_in(Path(folder).expanduser())) if folder else 0


def open_sync_dialog(w) -> SyncDialog:
    """Settings → Sync… from the main window `w` (its scheduler runs the rounds)."""
    dialog = SyncDialog(w.ctx, w.sync, w)
    dialog.open()
    w.dialog = dialog   # locking the journal closes it
    return dialog


class SyncDialog(QDialog):
    remote = True   # what it announces (a join, a kept version) changed under any open entry

    def __init__(self, ctx, scheduler, parent=None):
        super().__init__(parent)
        self.ctx, self.scheduler = ctx, scheduler
        self.setWindowTitle("Sync")
        self.found = 0
        self.empty = False
        self.pages = QStackedWidget()
        self.pages.addWidget(self._off_page())
        self.pages.addWidget(self._on_page())
        self.message = wrapped("")
        self.message.setObjectName("syncMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.followed = ((scheduler.status_changed, self.show_status),
                         (scheduler.round_done, self._round_done),
                         (scheduler.failed, self.show_error))
        for signal, slot in self.followed:
            signal.connect(slot)
        self.finished.connect(lambda _: [s.disconnect(slot) for s, slot in self.followed])
        self.show_status(scheduler.status)
        scheduler.refresh()

    # --- sync is off: choose a folder and a secret ----------------------------------------------
    def _off_page(self) -> QWidget:
        page = QWidget()
        self.intro = wrapped(
            "Keep this journal in step with your other computers through a folder you already "
            "sync (Syncthing, Dropbox, iCloud Drive, a USB stick). Only sealed, encrypted files "
            "go there; the journal itself never leaves this computer.")
        self.folder = QLineEdit(placeholderText="A folder your other devices also see")
        self.folder.setAccessibleName("Sync folder")
        self.folder.editingFinished.connect(self.probe)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_button)
        self.use_passphrase = QRadioButton("This journal's passphrase")
        self.use_recovery = QRadioButton("This journal's recovery key")
        self.use_passphrase.setChecked(True)
        group = QButtonGroup(page)
        for button in (self.use_passphrase, self.use_recovery):
            group.addButton(button)
            button.toggled.connect(self._explain)
        choice = QVBoxLayout()
        choice.addWidget(self.use_passphrase)
        choice.addWidget(self.use_recovery)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase or recovery key")
        self.secret.returnPressed.connect(self.go)
        self.found_note = wrapped("")
        self.secret_note = wrapped("")
        self.turn_on_button = QPushButton("Turn on sync")
        self.turn_on_button.clicked.connect(self.turn_on)
        self.join_button = QPushButton("Join")
        self.join_button.clicked.connect(self.join)
        self.join_button.hide()
        actions = QHBoxLayout()
        actions.addStretch()
        actions.addWidget(self.turn_on_button)
        actions.addWidget(self.join_button)
        form = QFormLayout()
        form.addRow("Folder", folder_row)
        self.choice_label = QLabel("The other device unlocks with")
        form.addRow(self.choice_label, choice)
        self.secret_label = QLabel("Passphrase")
        form.addRow(self.secret_label, self.secret)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.secret_note)
        layout.addWidget(self.found_note)
        layout.addLayout(actions)
        layout.addStretch()
        self._explain()
        return page

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the sync folder",
                                                self.folder.text() or str(Path.home()))
        if path:
            self.folder.setText(path)
            self.probe()

    def probe(self) -> None:
        """Does the folder already hold a synced journal (then an empty journal joins it)?"""
        folder = self.folder.text().strip()
        self.ctx.db(folder_state, folder=folder,
                    on_done=lambda state: self._probed(folder, state), on_error=self.show_error)

    def _probed(self, folder: str, state: tuple[bool, int]) -> None:
        if folder != self.folder.text().strip():
            return   # the user typed on since
        self.empty, self.found = state
        self._explain()

    @property
    def joining(self) -> bool:
        return self.empty and self.found > 0

    def _explain(self, *_) -> None:
        joining, blocked = self.joining, self.found > 0 and not self.empty
        self.join_button.setVisible(joining)
        self.turn_on_button.setVisible(not joining)
        self.turn_on_button.setEnabled(not blocked)
        self.choice_label.setText("The first device's journal opens with" if joining
                                  else "The other device unlocks with")
        recovery = self.use_recovery.isChecked()
        self.secret_label.setText("Recovery key" if recovery else "Passphrase")
        self.secret.setPlaceholderText("XXXX-XXXX-…" if recovery else "")
        if joining:
            self.secret_note.setText(
                "Type the passphrase (or recovery key) of the journal on the first device. "
                "This journal takes everything from the folder.")
            self.found_note.setText("This folder holds a synced journal, and your journal "
                                    "here is empty: join it.")
        else:
            self.secret_note.setText(
                "It is checked against this journal now; your other device types the same "
                "to join.")
            self.found_note.setText(
                "This folder already holds a synced journal: only a new, empty journal can "
                "join it. Choose another folder, or join from an empty journal." if blocked
                else "")
        theme.mark_error(self.found_note, blocked)

    def _secret(self) -> dict:
        key = "recovery_key" if self.use_recovery.isChecked() else "passphrase"
        return {key: self.secret.text()}

    def go(self) -> None:
        (self.join if self.joining else self.turn_on)()

    def turn_on(self) -> None:
        self._busy("Turning on sync…")
        self.ctx.tasks.run(sync.turn_on, self.ctx.vault, self.folder.text().strip(),
                           **self._secret(), pool="writes", on_done=self._turned_on,
                           on_error=self.show_error)

    def join(self) -> None:
        self._busy("Joining the synced journal…")
        self.ctx.tasks.run(sync.join, self.ctx.vault, self.folder.text().strip(),
                           **self._secret(), pool="writes", on_done=self._joined,
                           on_error=self.show_error)

    def _turned_on(self, root) -> None:
        self.secret.clear()
        self._say(f"Sync is on. Sealed files go to {root}.")
        self.scheduler.start()

    def _joined(self, result) -> None:
        self.secret.clear()
        self._say(f"Joined: {plural(result.rows, 'row')} from the other devices' snapshot"
                  f" and {plural(result.operations, 'change')} after it.")
        self.ctx.notices.announce(remote_changes(initiator=self))   # every view fills
        self.scheduler.start()

    # --- sync is on: devices, what is left, conflicts ------------------------------------------
    def _on_page(self) -> QWidget:
        page = QWidget()
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        self.device_label = QLabel()
        self.pending_label = QLabel()
        self.devices = DevicesTable()
        self.waiting_label = wrapped("")
        self.blocked_label = wrapped("")
        theme.mark_error(self.blocked_label, True)
        self.round_label = wrapped("")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(self.sync_now)
        self.stop_button = QPushButton("Stop syncing…")
        self.stop_button.clicked.connect(self.stop)
        actions = QHBoxLayout()
        actions.addWidget(self.round_label, 1)
        actions.addWidget(self.sync_button)
        actions.addWidget(self.stop_button)
        form = QFormLayout()
        form.addRow("Folder", self.folder_label)
        form.addRow("This device", self.device_label)
        form.addRow("To send", self.pending_label)
        self.conflict_list = ConflictList(self.keep)
        self.conflicts_box = QGroupBox("Conflicts to review")
        QVBoxLayout(self.conflicts_box).addWidget(self.conflict_list)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.devices)
        layout.addWidget(self.waiting_label)
        layout.addWidget(self.blocked_label)
        layout.addLayout(actions)
        layout.addWidget(self.conflicts_box, 1)
        return page

    def show_status(self, status: sync.Status | None) -> None:
        on = status is not None and status.on
        if self.pages.currentIndex() != int(on) or not self.isVisible():
            self._fit(int(on))
        if not on:
            return
        self.folder_label.setText(status.folder)
        this = next((d for d in status.devices if d.this), None)
        self.device_label.setText(f"{this.name or 'this computer'} ("
                                  f"{plural(this.applied, 'segment')} written)" if this else "")
        self.pending_label.setText(f"{plural(status.pending, 'change')} not sent yet"
                                   if status.pending else "Everything is sent.")
        self.devices.show_devices([d for d in status.devices if not d.this])
        self.waiting_label.setText(
            f"{plural(status.waiting, 'row')} wait for a row another device has not sent yet."
            if status.waiting else "")
        self.waiting_label.setVisible(bool(status.waiting))
        self.blocked_label.setText(status.blocked)
        self.blocked_label.setVisible(bool(status.blocked))
        self.conflicts_box.setTitle(f"Conflicts to review ({status.conflicts})"
                                    if status.conflicts else "Conflicts to review")
        self._show_round()
        self.ctx.tasks.run(sync.conflicts, self.ctx.vault, on_done=self.conflict_list
                           .show_conflicts, on_error=self.show_error)

    def _fit(self, index: int) -> None:
        """Show page `index` at its own size: the short form, or the taller status page."""
        self.pages.setCurrentIndex(index)
        for i in range(self.pages.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(policy, policy)
        self.adjustSize()
        self.resize(660, 560 if index else self.sizeHint().height())
        parent = self.parentWidget()
        if parent is not None:   # grown or shrunk: still over the middle of the window
            frame = self.frameGeometry()
            frame.moveCenter(parent.frameGeometry().center())
            self.move(frame.topLeft())

    def _show_round(self) -> None:
        s = self.scheduler
        if s.last_time is None:
            self.round_label.setText("")
            return
        when = f"Last sync at {s.last_time:%H:%M}"
        result = s.last_round
        if result is None:
            self.round_label.setText(f"{when}: failed.")
            return
        parts = [f"{plural(result.published, 'segment')} sent, "
                 f"{plural(result.applied, 'segment')} received"
                 if result.published or result.applied else
                 "" if result.refused else "nothing new"]
        if result.refused:   # a file refused, the folder not there: the first, whole
            more = len(result.refused) - 1
            parts.append(result.refused[0].rstrip(".") + (f" (and {more} more)" if more else ""))
        if result.waiting:
            parts.append(f"waiting for {plural(len(result.waiting), 'device')}' missing files")
        self.round_label.setText(f"{when}: " + "; ".join(p for p in parts if p) + ".")
        self.round_label.setToolTip("\n".join(result.refused))

    def _round_done(self, _result) -> None:
        self.sync_button.setEnabled(True)
        if self.message.text().endswith("…"):   # "Syncing…": done; a result stays said
            self._say("")
        self._show_round()

    def sync_now(self) -> None:
        if self.scheduler.sync_now():
            self._busy("Syncing…")
            self.sync_button.setEnabled(False)

    def stop(self) -> None:
        answer = QMessageBox.question(
            self, "Stop syncing?",
            "Stop syncing this journal on this computer? The journal stays as it is here, and "
            "the folder's files stay for your other devices. This journal cannot join that "
            "folder again (only a new, empty journal can); to sync it later, choose a new, "
            "empty folder and join the other devices to it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._busy("Stopping sync…")
        self.ctx.tasks.run(sync.leave, self.ctx.vault, pool="writes",
                           on_done=self._left, on_error=self.show_error)

    def _left(self, _none) -> None:
        self._say("Sync is off for this journal.")
        self.scheduler.refresh()

    def keep(self, conflict: sync.ConflictCopy, text) -> None:
        self._busy("Keeping that version…")
        self.ctx.tasks.run(sync.resolve, self.ctx.vault, conflict.table, conflict.uid,
                           conflict.field, text, pool="writes",
                           on_done=lambda _: self._kept(conflict), on_error=self.show_error)

    def _kept(self, conflict: sync.ConflictCopy) -> None:
        self._say("Kept. The other devices get it at the next sync.")
        # the views redraw, and the scheduler sends it a few seconds later
        self.ctx.notices.announce(Changes(frozenset({conflict.table}), every_partner=True,
                                          initiator=self))
        self.scheduler.refresh()

    # --- messages -------------------------------------------------------------------------------
    def _busy(self, text: str) -> None:
        for button in (self.turn_on_button, self.join_button, self.stop_button,
                       *self.conflict_list.buttons):
            button.setEnabled(False)
        self.message.setText(text)
        theme.mark_error(self.message, False)

    def _idle(self) -> None:
        for button in (self.join_button, self.stop_button, self.sync_button,
                       *self.conflict_list.buttons):
            button.setEnabled(True)
        self._explain()

    def _say(self, text: str, error: bool = False) -> None:
        """A result or an error: the buttons are back, the line says it (one line)."""
        self._idle()
        self.message.setText(text)
        theme.mark_error(self.message, error)

    def show_error(self, err) -> None:
        self._say(err if isinstance(err, str) else one_line(err), error=True)
