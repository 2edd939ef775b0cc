"""The main window: partners on the left; timeline, stakeholders and commitments in the middle;
the entry editor on the right. Every database call goes through ctx.db (the task helper)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMessageBox,
)

from services import journal
from services import settings as settings_service
from services import vault as vault_service
from services.errors import Conflict
from services.journal import demo, drafts
from services.memory import vectors
from services.practice import health
from services.vault import backup
from ui import theme
from ui.brief_dialog import BriefDialog
from ui.context import AppContext
from ui.errors import ErrorDialog, log_unexpected, user_message
from ui.icons import app_icon
from ui.lock import IdleWatcher
from ui.main_layout import build_window
from ui.meaning_indexer import MeaningIndexer
from ui.menus import install_menus
from ui.model_dialog import ModelDialog
from ui.notices import OVERVIEW
from ui.partner_list import PartnerRole
from ui.reflect_dialog import ReflectDialog
from ui.search_dialog import SearchDialog
from ui.small_dialogs import PartnerDialog, PassphraseDialog, SettingsDialog
from ui.startup import ui_settings


class MainWindow(QMainWindow):
    partners_loaded = Signal()
    error_shown = Signal(str)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id: int | None = None
        self.setWindowTitle("Confidant")
        self.setWindowIcon(app_icon())
        self.ui_settings = ui_settings(ctx.data_dir)
        self._offer_drafts = False
        self._select_next: int | None = None  # a partner to choose once the list has it
        build_window(self)
        install_menus(self)
        ctx.tasks.error.connect(self.show_error)
        ctx.notices.changed.connect(self._changes)
        self.meaning = MeaningIndexer(ctx, self)    # the meaning index, kept current
        self.meaning.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.idle = IdleWatcher(self)
        self.idle.idle.connect(self.lock)
        QApplication.instance().installEventFilter(self.idle)
        self._restore_geometry()
        self.after_unlock()

    # --- errors: the one place ---------------------------------------------------------------
    def show_error(self, err: BaseException) -> None:
        text = user_message(err)
        if text is None:
            return
        from ui.errors import is_expected

        if is_expected(err):
            self.message.show_message(text, cause=type(err).__name__)
            self.statusBar().showMessage(text, 8000)
        else:
            ErrorDialog(log_unexpected(err), self).exec()
        self.error_shown.emit(text)

    # --- loading -----------------------------------------------------------------------------
    def after_unlock(self) -> None:
        self.pages.setCurrentIndex(0)
        self.message.clear()  # whatever it said was about the journal before the lock
        self._rotation_note()
        self.set_locked(False)
        self.editor.clear()
        self.ctx.db(settings_service.get_settings, on_done=self._settings_loaded)
        self.refresh_partners()
        self._offer_drafts = True  # once the partners are listed, so a restore can open one
        self.meaning.catch_up()   # catch up: a first start, a restore, entries made elsewhere

    def set_locked(self, locked: bool) -> None:
        """While locked, every action that reads or writes the journal is off."""
        for act in self.journal_actions:
            act.setEnabled(not locked)

    def _settings_loaded(self, values: settings_service.Preferences) -> None:
        was_dark = theme.is_dark()
        self.ctx.settings = values
        self.idle.minutes = values.idle_lock_minutes
        if theme.apply(values.colour_scheme) != was_dark:
            self.ctx.notices.announce_kind("theme", initiator=self)  # colours set at fill

    def _changes(self, changes) -> None:
        """The partner list and the portfolio follow the notices, as every view does."""
        if self.ctx.vault is None or self.ctx.vault.is_locked:
            return
        if changes.touches(*OVERVIEW):
            self.refresh_partners()
        if changes.touches("key"):
            self._rotation_note()

    def _rotation_note(self) -> None:
        """An unfinished key rotation (services.vault.key_rotation) is said until it is."""
        if self.ctx.vault is not None and self.ctx.vault.rotation_unfinished:
            self.message.show_message(
                "A key rotation was not finished: your previous passphrase and recovery key "
                "still open the journal. Rotate the key again (Settings) to retire them.",
                cause="rotation")
        else:
            self.message.clear("rotation")

    def refresh_partners(self) -> None:
        """Reload the partners list and the portfolio home, keeping the current partner (or
        choosing the one `_select_next` names)."""
        values = self.ctx.settings
        self.ctx.db(health.partners_overview, no_contact_days=values.no_contact_days,
                    trust_drop=values.trust_drop_alert, on_done=self._partners_arrived)

    def _partners_arrived(self, overview) -> None:
        self.empty.show_choices()  # 'Your journal is empty' only once it is known (issue 20)
        partners, rows = overview
        select, self._select_next = self._select_next, None
        keep = self.partner_id if select is None else select
        if select is not None:
            self.partner_id = None  # so that choosing it loads its tabs
        cues = {row.partner_id: health.cue(row) for row in rows}
        self.portfolio.show_rows(rows)
        self.partner_model.set_partners(partners, cues)
        row = self.partner_model.row_of(keep) if keep is not None else -1
        if row >= 0:
            self.partner_view.setCurrentIndex(self.partner_model.index(row))
            self.middle.setCurrentWidget(self.tabs)
        else:
            self.partner_id = None
            self.right.hide()  # the portfolio takes the whole width
            self.middle.setCurrentWidget(self.portfolio if partners else self.empty)
        if self._offer_drafts:
            self._offer_drafts = False
            self.ctx.db(drafts.list_drafts, on_done=self.editor.offer_drafts)
        self.partners_loaded.emit()

    def select_partner(self, partner_id: int) -> None:
        row = self.partner_model.row_of(partner_id)
        if row >= 0:
            self.partner_view.setCurrentIndex(self.partner_model.index(row))

    def show_portfolio(self) -> None:
        self.partner_view.clearSelection()
        self.partner_view.setCurrentIndex(self.partner_model.index(-1))
        self.partner_id = None
        self._partner_chosen(self.partner_model.index(-1))
        self.middle.setCurrentWidget(self.portfolio if self.partner_model.partners
                                     else self.empty)
        self.refresh_partners()

    def _partner_chosen(self, current, _previous=None) -> None:
        partner = current.data(PartnerRole) if current.isValid() else None
        new_id = partner.id if partner else None
        if new_id == self.partner_id:
            return
        self.partner_id = new_id
        self.setWindowTitle(f"Confidant — {partner.name}" if partner else "Confidant")
        if partner is not None:
            self.middle.setCurrentWidget(self.tabs)
        self.right.setVisible(partner is not None)
        self.ctx.notices.partner_chosen.emit(new_id, partner.name if partner else "")
        if self.editor.partner_id not in (None, new_id):
            if self.editor.dirty:
                title = self.editor.title.text().strip() or "untitled"
                self.message.show_message(
                    f"Your unsaved entry '{title}' was kept as a draft: Confidant offers it "
                    "back when it next starts.", cause="draft")
            self.editor.save_draft()
            self.editor.clear()

    def open_entry(self, partner_id: int, interaction_id: int) -> None:
        if interaction_id is not None and self.editor.interaction_id == interaction_id:
            self.right.setCurrentWidget(self.editor)  # already open: in view, typing kept
            self.timeline_page.select_entry(interaction_id)
            return
        self.editor.release(lambda: self._show_entry(partner_id, interaction_id))

    def _show_entry(self, partner_id: int, interaction_id: int) -> None:
        if partner_id != self.partner_id:
            self.select_partner(partner_id)
        self.right.setCurrentWidget(self.editor)
        self.editor.open_entry(interaction_id)
        self.tabs.setCurrentWidget(self.timeline_page)
        self.timeline_page.select_entry(interaction_id)

    def restore_draft(self, partner_id: int, interaction_id, content: dict) -> None:
        """Bring a restored draft into view: its partner chosen, the entry open and focused."""
        self.select_partner(partner_id)
        self.right.setCurrentWidget(self.editor)
        if interaction_id:
            self.editor.open_entry(interaction_id, content)
        else:
            self.editor.new_entry(partner_id, content)

    def _entry_saved(self, interaction_id: int) -> None:
        self.message.clear()
        self.statusBar().showMessage("Entry saved", 4000)

    # --- actions -----------------------------------------------------------------------------
    def new_entry(self) -> None:
        if self.partner_id is None:
            self.show_error(Conflict("Choose or add a partner first."))
            return
        partner_id = self.partner_id
        self.editor.release(lambda: self.editor.new_entry(partner_id))

    def reflect(self) -> None:
        dialog = ReflectDialog(self.ctx, self.partner_model.partners, self.partner_id, self)
        dialog.recorded.connect(self.open_entry)  # the notice of its write redraws the views
        dialog.open()
        self.dialog = dialog

    def find(self) -> None:
        dialog = SearchDialog(self.ctx, self)
        dialog.open_entry.connect(self.open_entry)
        dialog.open()
        self.dialog = self.search_dialog = dialog

    def _dialog(self, dialog, on_accept):
        """Open a form without blocking; on_accept(values) runs when it is saved."""
        dialog.accepted.connect(lambda: on_accept(dialog.values()))
        dialog.open()
        self.dialog = dialog
        return dialog

    def new_partner(self) -> None:
        self._dialog(PartnerDialog(parent=self), lambda values: self.ctx.db(
            journal.create_partner, write=True, partner_in=values,
            on_done=self._partner_created))

    def _partner_created(self, partner) -> None:
        if self.editor.dirty:
            self.editor.save_draft()
        self.editor.clear()  # a new partner has no entry open yet
        self.message.clear()
        self._select_next = partner.id  # the notice of its write reloads the list

    def edit_partner(self) -> None:
        index = self.partner_view.currentIndex()
        if not index.isValid():
            return
        partner = index.data(PartnerRole)
        self._dialog(PartnerDialog(partner, self), lambda values: self.ctx.db(
            journal.update_partner, write=True, partner_id=partner.id, partner_in=values))

    def delete_partner(self) -> None:
        index = self.partner_view.currentIndex()
        if not index.isValid():
            return
        partner = index.data(PartnerRole)
        answer = QMessageBox.question(
            self, "Delete partner",
            f"Delete {partner.name} with all its interactions, stakeholders, commitments and "
            "trust readings? This cannot be undone (a backup can).")
        if answer == QMessageBox.StandardButton.Yes:
            self.partner_id = None
            self.editor.clear()
            self.ctx.db(journal.delete_partner, write=True, partner_id=partner.id,
                        with_interactions=True)

    def load_sample(self) -> None:
        self.sample_button.setEnabled(False)
        self.statusBar().showMessage("Loading the sample journal…")
        self.ctx.db(demo.load_sample, write=True, on_done=self._sample_loaded,
                    on_error=self._sample_failed)

    def _sample_loaded(self, counts) -> None:
        self.sample_button.setEnabled(True)
        self.statusBar().showMessage(f"Sample journal loaded: {counts['interactions']} entries "
                                     f"across {counts['partners']} partners", 6000)

    def _sample_failed(self, err) -> None:
        self.sample_button.setEnabled(True)
        self.show_error(err)

    def _save_settings(self, values: dict) -> None:
        always_ask = values.pop("always_ask", None)
        vault = self.ctx.vault
        if always_ask is not None and always_ask == vault_service.uses_keychain(vault.root):
            self.ctx.tasks.run(vault_service.set_keychain, vault.root, key=vault.key,
                               remember=not always_ask, on_done=lambda kept: self.statusBar()
                               .showMessage("The key is in the system keychain" if kept else
                                            "Confidant will ask for the passphrase", 6000))
        self.ctx.db(settings_service.save_settings, write=True, values=values,
                    on_done=self._settings_loaded)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.ctx.settings,
                                not vault_service.uses_keychain(self.ctx.vault.root), self)
        dialog.change_passphrase.connect(self.change_passphrase)
        dialog.rotate_key.connect(self.rotate_key)
        self._dialog(dialog, self._save_settings)

    def change_passphrase(self) -> None:
        vault = self.ctx.vault
        dialog = PassphraseDialog(self)
        dialog.accepted.connect(lambda: self.ctx.tasks.run(
            vault_service.set_passphrase, vault.root, key=vault.key,
            new_passphrase=dialog.values(),
            on_done=lambda _: self.statusBar().showMessage("Passphrase changed", 6000)))
        dialog.open()
        self.passphrase_dialog = dialog

    def rotate_key(self) -> None:
        from ui.vault_recovery import rotate_encryption_key

        self.passphrase_dialog = rotate_encryption_key(
            self.ctx, self, on_done=lambda _: self.statusBar().showMessage(
                "The journal is re-encrypted under a new key", 6000))

    def open_model_settings(self) -> None:
        self._dialog(ModelDialog(self.ctx, self), self._save_settings)

    def back_up(self) -> None:
        default = str(Path.home() / f"confidant-{date.today():%Y-%m-%d}.backup")
        path, _ = QFileDialog.getSaveFileName(self, "Back up the journal", default,
                                              "Confidant backup (*.backup)")
        if path:
            self.ctx.tasks.run(backup.backup, vault=self.ctx.vault, target=Path(path),
                               on_done=lambda target: self.statusBar().showMessage(
                                   f"Encrypted backup written to {target}", 8000))

    def export_brief(self) -> None:
        dialog = BriefDialog(self.ctx, self.partner_model.partners, self.partner_id, self)
        dialog.open()
        self.dialog = dialog

    def ask_advisor(self) -> None:
        self.right.setCurrentWidget(self.advisor)
        self.advisor.ask()

    # --- lock and close ----------------------------------------------------------------------
    def lock(self) -> None:
        if self.ctx.vault is None or self.ctx.vault.is_locked:
            return
        self.editor.save_draft()
        self.advisor.stop()
        self.ctx.tasks.wait()
        self.ctx.vault.lock()
        vectors.forget()   # the meaning index's matrix is the journal's too
        self.editor.clear()
        self.set_locked(True)
        self.setWindowTitle("Confidant")  # no partner's name over a locked journal
        for dialog in (getattr(self, "dialog", None), getattr(self, "passphrase_dialog", None)):
            if dialog is not None and dialog.isVisible():
                dialog.reject()  # an open search or form would read a locked journal
        self.partner_id = None
        self.partner_model.set_partners([], {})
        self.portfolio.show_rows([])
        self.ctx.notices.announce_kind("vault", initiator=self)  # every view drops its rows
        self.pages.setCurrentIndex(1)
        self.lock_screen.form.secret.setFocus()

    def _restore_geometry(self) -> None:
        geometry = self.ui_settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and (self.height() > screen.height()
                                   or self.width() > screen.width()):
            self.resize(min(self.width(), screen.width()), min(self.height(), screen.height()))
        state = self.ui_settings.value("splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.ctx.vault is not None and not self.ctx.vault.is_locked:
            self.editor.save_draft()
        self.advisor.stop()
        if self.ctx.tasks.shutdown():  # else a worker may still be inside the model: the
            self.ctx.llm.close()       # process's end frees it
        self.ui_settings.setValue("geometry", self.saveGeometry())
        self.ui_settings.setValue("splitter", self.splitter.saveState())
        self.ui_settings.sync()
        QApplication.instance().removeEventFilter(self.idle)
        super().closeEvent(event)
