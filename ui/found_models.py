"""The model library's "Found on this computer" (issue 21, item 4): the GGUFs LM Studio,
GPT4All, Jan and Ollama installed and the servers answering on 127.0.0.1, looked for only when
the user opens this section or presses Look; Add puts the selected one in the library through
the same checks as Add GGUF… (the file used where it is) or Add server…."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from services.advice import model_discovery
from ui import theme
from ui.errors import report


def found_text(found: model_discovery.Found) -> str:
    have = "  (in the library)" if found.in_library else ""
    if found.kind == "server":
        return f"{found.model} — {found.source} server at {found.url}{have}"
    return f"{found.name} — {found.source}, {found.size / 2**30:.1f} GB{have}"


class FoundModels(QWidget):
    added = Signal(object)          # the library entry just added

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.found: list[model_discovery.Found] = []
        self.values = None          # the library's preferences, to mark what it has
        self.looked = False
        heading = QLabel("<b>Found on this computer</b><br>Models that LM Studio, GPT4All, "
                         "Jan and Ollama installed, and servers answering on this machine "
                         "(127.0.0.1). Only their own folders and ports are looked at. A file "
                         "is used where it is, checked like any other.")
        heading.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Found on this computer")
        self.list.currentItemChanged.connect(lambda *_: self._enable())
        self.status = QLabel("Not looked yet.")
        self.status.setWordWrap(True)
        self.look_button = QPushButton("&Look")
        self.look_button.setAccessibleName("Look for models on this computer")
        self.look_button.clicked.connect(self.look)
        self.add_button = QPushButton("&Add to the library")
        self.add_button.setAccessibleName("Add the selected found model")
        self.add_button.clicked.connect(self.add)
        self.add_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.look_button)
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)

    def set_library(self, values) -> None:
        """The library changed: what is in it is marked again (off the UI thread)."""
        self.values = values
        if self.found:
            self.ctx.tasks.run(model_discovery.mark, list(self.found), values,
                               on_done=self._show, on_error=self._failed)

    def look(self) -> None:
        self.looked = True
        self.look_button.setEnabled(False)
        self.add_button.setEnabled(False)
        self._say("Looking in the known folders and on 127.0.0.1…")
        self.ctx.tasks.run(model_discovery.discover, values=self.values, on_done=self._looked,
                           on_error=self._failed)

    def _looked(self, found) -> None:
        self.look_button.setEnabled(True)
        self._show(found)
        self._say(f"{len(found)} found." if found else
                  "Nothing found in the folders of LM Studio, GPT4All, Jan and Ollama, nor "
                  "on 127.0.0.1 at their usual ports.")

    def _show(self, found) -> None:
        row = max(self.list.currentRow(), 0)
        self.found = found
        self.list.clear()
        for item in found:
            entry = QListWidgetItem(found_text(item))
            entry.setToolTip(item.path or f"{item.url} ({item.model})")
            self.list.addItem(entry)
        if found:
            self.list.setCurrentRow(min(row, len(found) - 1))
        self._enable()

    def selected(self) -> model_discovery.Found | None:
        row = self.list.currentRow()
        return self.found[row] if 0 <= row < len(self.found) else None

    def _enable(self) -> None:
        item = self.selected()
        self.add_button.setEnabled(item is not None and not item.in_library)

    def add(self) -> None:
        item = self.selected()
        if item is None or item.in_library:
            return
        self.add_button.setEnabled(False)
        self._say("Checking the file (header, memory, chat template, SHA-256)…"
                  if item.kind == "file" else "Adding the server (nothing is sent)…")
        self.ctx.db(model_discovery.add_found, write=True, found=item,
                    data_dir=self.ctx.data_dir, on_done=self._added, on_error=self._failed)

    def _added(self, entry) -> None:
        self._say(f"Added {escape(entry.name)} to the library"
                  + (": used where it is." if entry.kind == "gguf" else "."))
        self.added.emit(entry)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        theme.mark_error(self.status, False)

    def _failed(self, err) -> None:
        self.look_button.setEnabled(True)
        self._enable()
        report(err, self, lambda text: self.status.setText(f"Refused: {escape(text)}"))
        theme.mark_error(self.status, True)
