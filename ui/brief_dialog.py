"""File -> Export brief (Ctrl+E): choose partner, meeting date, purpose, sections and whether
private reflections go in; preview the pages; save; open with the system viewer if wanted."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from services.practice import brief
from ui import brief_defaults, theme
from ui.context import AppContext
from ui.dates import date_edit
from ui.errors import report
from ui.render.brief_pdf import preview_images, write_pdf


class BriefDialog(QDialog):
    def __init__(self, ctx: AppContext, partners: list, partner_id: int | None = None,
                 parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Export meeting brief")
        self.partner = QComboBox()
        for p in partners:
            self.partner.addItem(p.name, p.id)
        if partner_id is not None:
            self.partner.setCurrentIndex(max(0, self.partner.findData(partner_id)))
        self.meeting = date_edit(QDate.currentDate().addDays(7), "Meeting date")
        self.purpose = QLineEdit(placeholderText="e.g. Q1 steering committee")
        self.prepared_by = QLineEdit(placeholderText="your name")
        self.recent = QSpinBox(minimum=0, maximum=200, value=10)
        self.sections = {}
        section_row = QVBoxLayout()
        for key in brief.SECTIONS:
            box = QCheckBox(brief.SECTION_TITLES[key])
            box.setChecked(True)
            self.sections[key] = box
            section_row.addWidget(box)
        self.with_advice = QCheckBox("Add the latest saved advice")
        self.private = QCheckBox("Include private reflections")
        warning = QLabel("Private reflections are left out unless you tick this. The brief is "
                         "a plain PDF: anyone who gets the file can read it.")
        warning.setWordWrap(True)
        warning.setObjectName("warningText")
        self.open_after = QCheckBox("Open the PDF when it is saved")
        self.open_after.setChecked(True)
        form = QFormLayout()
        form.addRow("Partner", self.partner)
        form.addRow("Meeting date", self.meeting)
        form.addRow("Purpose", self.purpose)
        form.addRow("Prepared by", self.prepared_by)
        form.addRow("Sections", section_row)
        form.addRow("Recent entries (at most)", self.recent)
        form.addRow("", self.with_advice)
        form.addRow("", self.private)
        form.addRow("", warning)
        form.addRow("", self.open_after)
        self.preview_button = QPushButton("Preview")
        self.save_button = QPushButton("Save PDF…")
        self.save_button.setDefault(True)
        close = QPushButton("Close")
        self.preview_button.clicked.connect(self.preview)
        self.save_button.clicked.connect(self.save)
        close.clicked.connect(self.reject)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.show_folder = QPushButton("Show folder")
        self.show_folder.setToolTip("Open the folder the brief was saved in")
        self.show_folder.clicked.connect(self.open_folder)
        self.show_folder.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for b in (self.show_folder, self.preview_button, self.save_button, close):
            buttons.addWidget(b)
        self.pages = QWidget()
        self.pages_layout = QVBoxLayout(self.pages)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.pages)
        scroll.setMinimumWidth(440)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addLayout(form)
        ll.addStretch()
        body = QHBoxLayout()
        body.addWidget(left)
        body.addWidget(scroll, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addLayout(buttons)
        self.saved_path: Path | None = None
        self.preview_pages: list = []
        self.resize(1000, 720)
        brief_defaults.install(self)  # issue 14: the next governance meeting by default

    def options(self) -> brief.BriefOptions:
        return brief.BriefOptions(
            partner_id=self.partner.currentData(), meeting_date=self.meeting.date().toPython(),
            purpose=self.purpose.text().strip(), prepared_by=self.prepared_by.text().strip(),
            sections=tuple(k for k, box in self.sections.items() if box.isChecked()),
            include_reflections=self.private.isChecked(),
            with_advice=self.with_advice.isChecked(), recent=self.recent.value(),
            page_size=self.ctx.settings.page_size)

    def _build(self, then) -> None:
        if self.partner.currentData() is None:
            self.message.setText("Add a partner first.")
            return
        values = self.ctx.settings
        self.ctx.db(brief.build_brief, options=self.options(),
                    no_contact_days=values.no_contact_days,
                    trust_drop=values.trust_drop_alert, on_done=then,
                    on_error=self._failed)

    def preview(self) -> None:
        self.message.setText("Drawing the preview…")
        self._build(lambda data: self.ctx.tasks.run(preview_images, data, 0.55,
                                                    on_done=self._show_pages,
                                                    on_error=self._failed))

    def _show_pages(self, images) -> None:
        while self.pages_layout.count():
            widget = self.pages_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.preview_pages = images
        for image in images:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setObjectName("pagePreview")
            self.pages_layout.addWidget(label, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.message.setText(f"{len(images)} page(s).")

    def save(self) -> None:
        name = self.partner.currentText().replace("/", "-") or "brief"
        default = str(Path.home() / f"{name} brief {self.meeting.date().toString('yyyy-MM-dd')}"
                                    ".pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save the brief", default, "PDF (*.pdf)")
        if not path:
            return
        target = Path(path if path.lower().endswith(".pdf") else path + ".pdf")
        self.message.setText("Writing the PDF…")
        self._build(lambda data: self.ctx.tasks.run(write_pdf, data, target,
                                                    on_done=self._saved,
                                                    on_error=self._failed))

    def _saved(self, target: Path) -> None:
        self.saved_path = target
        theme.mark_error(self.message, False)
        self.message.setText(f"Saved {target}.")
        self.show_folder.show()
        if self.open_after.isChecked() and not QDesktopServices.openUrl(
                QUrl.fromLocalFile(str(target))):
            self.message.setText(f"Saved {target}. No PDF viewer is set up to open it: "
                                 "open it from its folder.")

    def open_folder(self) -> None:
        folder = self.saved_path.parent if self.saved_path else None
        if folder is not None and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.message.setText(f"No file manager is set up to show {folder}; the brief is "
                                 f"{self.saved_path}.")

    def _failed(self, err) -> None:
        report(err, self, self.message.setText)
        theme.mark_error(self.message, True)
