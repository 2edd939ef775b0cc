"""Small forms: a partner, and the settings."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
)

from models.enums import PartnerStatus, Stage
from services.settings import Preferences

ALLIANCE_KINDS = ["strategic", "co-sell", "technology / OEM", "systems integrator / reseller",
                  "co-innovation", "joint venture", "distribution"]


def save_cancel(dialog: QDialog) -> QDialogButtonBox:
    """Save and Cancel, wired to the dialog's accept and reject."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class PartnerDialog(QDialog):
    def __init__(self, partner=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Edit partner" if partner else "New partner")
        form = QFormLayout(self)
        self.name = QLineEdit(getattr(partner, "name", ""))
        self.name.setPlaceholderText("The organisation, e.g. Northwind Cloud")
        self.kind = QComboBox(editable=True)
        self.kind.addItems(ALLIANCE_KINDS)
        self.kind.setCurrentText(getattr(partner, "kind", "strategic"))
        self.status = QComboBox()
        for s in PartnerStatus:
            self.status.addItem(s.value.capitalize(), s.value)
        self.status.setCurrentIndex(self.status.findData(
            getattr(partner, "status", PartnerStatus.active).value))
        self.summary = QPlainTextEdit(getattr(partner, "summary", ""))
        self.summary.setMaximumHeight(100)
        self.stage = QComboBox()  # issue 14: the alliance's lifecycle stage
        self.stage.addItem("Not set", None)
        for stage in Stage:
            self.stage.addItem(stage.value.capitalize(), stage.value)
        stage = getattr(partner, "stage", None)
        self.stage.setCurrentIndex(max(0, self.stage.findData(stage.value if stage else None)))
        form.addRow("Name", self.name)
        form.addRow("Kind of alliance", self.kind)
        form.addRow("Status", self.status)
        form.addRow("Lifecycle stage", self.stage)
        form.addRow("Summary", self.summary)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {"name": self.name.text(), "kind": self.kind.currentText(),
                "status": self.status.currentData(), "summary": self.summary.toPlainText(),
                "stage": self.stage.currentData()}


class PassphraseDialog(QDialog):
    """A new passphrase, typed twice."""

    def __init__(self, parent=None, title: str = "Change passphrase",
                 label: str = "New passphrase", intro: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        if intro:
            text = QLabel(intro)
            text.setWordWrap(True)
            form.addRow(text)
        self.first = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.second = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        for field in (self.first, self.second):  # what it said was about the old typing
            field.textChanged.connect(self.error.clear)
        form.addRow(label, self.first)
        form.addRow("Repeat it", self.second)
        form.addRow(self.error)
        form.addRow(save_cancel(self))

    def accept(self) -> None:
        if self.first.text() != self.second.text():
            self.error.setText("The two passphrases differ.")
            return
        if len(self.first.text()) < 8:
            self.error.setText("A passphrase needs at least 8 characters.")
            return
        super().accept()

    def values(self) -> str:
        return self.first.text()


class SettingsDialog(QDialog):
    """Preferences kept in the encrypted journal, and how the vault opens."""

    change_passphrase = Signal()
    rotate_key = Signal()

    def __init__(self, settings: Preferences, always_ask: bool = False, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout(self)
        self.idle_lock = QSpinBox(minimum=0, maximum=240, value=settings.idle_lock_minutes)
        self.idle_lock.setSpecialValueText("never")
        self.idle_lock.setSuffix(" min")
        self.no_contact = QSpinBox(minimum=1, maximum=365, value=settings.no_contact_days)
        self.no_contact.setSuffix(" days")
        self.trust_drop = QDoubleSpinBox(minimum=0.1, maximum=10, singleStep=0.1,
                                         value=settings.trust_drop_alert)
        self.page_size = QComboBox()
        self.page_size.addItems(["A4", "Letter"])
        self.page_size.setCurrentText(settings.page_size)
        self.colour_scheme = QComboBox()
        for value, label in (("system", "Follow the system"), ("light", "Light"),
                             ("dark", "Dark")):
            self.colour_scheme.addItem(label, value)
        self.colour_scheme.setCurrentIndex(self.colour_scheme.findData(settings.colour_scheme))
        form.addRow("Lock after idle", self.idle_lock)
        form.addRow("Alert: no contact for", self.no_contact)
        form.addRow("Alert: trust index fell by", self.trust_drop)
        form.addRow("Brief page size", self.page_size)
        form.addRow("Appearance", self.colour_scheme)
        self.glossary = QPlainTextEdit(settings.glossary)  # issue 15: for the speech model
        self.glossary.setPlaceholderText("Product names, acronyms… one per line or separated "
                                         "by commas (partners' and people's names are known)")
        self.glossary.setAccessibleName("Voice glossary")
        self.glossary.setTabChangesFocus(True)
        self.glossary.setMaximumHeight(70)
        form.addRow("Voice glossary", self.glossary)
        self.always_ask = QCheckBox("Always ask for the passphrase (keep the key out of the "
                                    "system keychain)")
        self.always_ask.setChecked(always_ask)
        change = QPushButton("Change passphrase…")
        change.clicked.connect(self.change_passphrase)
        self.rotate_button = QPushButton("Rotate the encryption key…")
        self.rotate_button.setToolTip("Re-encrypt the journal under a new key: old copies of the "
                                      "header, old passphrases and the old recovery key stop "
                                      "working")
        self.rotate_button.clicked.connect(self.rotate_key)
        form.addRow("Security", self.always_ask)
        form.addRow("", change)
        form.addRow("", self.rotate_button)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {"idle_lock_minutes": self.idle_lock.value(),
                "no_contact_days": self.no_contact.value(),
                "trust_drop_alert": round(self.trust_drop.value(), 2),
                "page_size": self.page_size.currentText(),
                "colour_scheme": self.colour_scheme.currentData(),
                "glossary": self.glossary.toPlainText().strip()[:4000],
                "always_ask": self.always_ask.isChecked()}
