"""Settings -> Model: pick a GGUF, see its facts before it loads, and tune the generation."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from services import llm
from ui import theme
from ui.context import AppContext
from ui.errors import report


def facts_html(facts, n_ctx: int) -> str:
    rows = [("Name", facts.name), ("Architecture", facts.architecture),
            ("Parameters", facts.parameter_label), ("Quantization", facts.quantization),
            ("Context length (trained)", f"{facts.context_length:,} tokens"),
            ("File size", f"{facts.file_size / 2**20:,.0f} MB"),
            ("Memory needed (estimate)", f"{facts.ram_estimate(n_ctx) / 2**20:,.0f} MB at "
                                         f"{n_ctx:,} tokens of context"),
            ("Chat template", "yes: instruct model, whole advice"
             if facts.has_chat_template else "no: base model, one suggestion per angle")]
    return "<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                               for k, v in rows) + "</table>"


class ModelDialog(QDialog):
    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        values = ctx.settings
        self.setWindowTitle("Model")
        self.path = QLineEdit(values.model_path)
        self.path.setPlaceholderText("the bundled Gemma 3 270M")
        self.path.editingFinished.connect(self.inspect)
        choose = QPushButton("Choose GGUF…")
        choose.clicked.connect(self.choose)
        bundled = QPushButton("Use the bundled model")
        bundled.clicked.connect(lambda: (self.path.clear(), self.inspect()))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        row.addWidget(bundled)
        self.facts = QLabel("Reading the model's header…")
        self.facts.setWordWrap(True)
        cores = os.cpu_count() or 1
        self.threads = QSpinBox(minimum=0, maximum=cores * 2, value=values.threads)
        self.threads.setSpecialValueText(f"all cores ({cores})")
        self.context = QSpinBox(minimum=512, maximum=131072, singleStep=512,
                                value=values.context_length)
        self.context.valueChanged.connect(self.inspect)
        self.temperature = QDoubleSpinBox(minimum=0, maximum=2, singleStep=0.1,
                                          value=values.temperature)
        self.max_tokens = QSpinBox(minimum=16, maximum=4096, value=values.max_tokens)
        form = QFormLayout()
        form.addRow("Threads", self.threads)
        form.addRow("Context length", self.context)
        form.addRow("Temperature", self.temperature)
        form.addRow("Max tokens", self.max_tokens)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Model file (GGUF). Confidant never downloads a model."))
        layout.addLayout(row)
        layout.addWidget(self.facts)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(620, 420)
        self.inspect()

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "",
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.path.setText(path)
            self.inspect()

    def _target(self):
        text = self.path.text().strip()
        return llm.Path(text) if text else llm.bundled_path(self.ctx.data_dir)

    def inspect(self, *_) -> None:
        target, n_ctx = self._target(), self.context.value()
        bundled = not self.path.text().strip()

        def read():
            if bundled and not target.exists():
                llm.install_bundled_model(self.ctx.data_dir)
            return llm.inspect_model(target, n_ctx)

        self.ctx.tasks.run(read, on_done=lambda facts: self._show(facts, n_ctx),
                           on_error=self._refused)

    def _show(self, facts, n_ctx) -> None:
        self.facts.setText(facts_html(facts, n_ctx))
        theme.mark_error(self.facts, False)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def _refused(self, err) -> None:
        report(err, self, lambda text: self.facts.setText(f"Refused: {text}"))
        theme.mark_error(self.facts, True)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)

    def values(self) -> dict:
        return {"model_path": self.path.text().strip(), "threads": self.threads.value(),
                "context_length": self.context.value(),
                "temperature": round(self.temperature.value(), 2),
                "max_tokens": self.max_tokens.value()}
