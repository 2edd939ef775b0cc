"""Add server…: an OpenAI-compatible inference server for the model library. A host that is not
this machine needs an explicit confirmation that names it; nothing is sent when it is added."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)

from services.advice.server_model import is_loopback, parse_url
from services.errors import InvalidInput
from ui import theme


def confirm_remote(parent, host: str) -> bool:
    """The consent: names the host and says what goes there."""
    answer = QMessageBox.question(
        parent, "Send journal excerpts to another machine?",
        f"{host} is not this computer.\n\nWhen this server is in use, the advisor sends it the "
        f"question and excerpts of your journal (partners, people, notes). Its advice will be "
        f"marked 'written by … on {host}'.\n\nAllow sending journal excerpts to {host}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class ServerDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Add a model server")
        self.name = QLineEdit(placeholderText="e.g. ollama")
        self.url = QLineEdit(placeholderText="http://127.0.0.1:11434/v1")
        self.model = QLineEdit(placeholderText="the model's name on the server, e.g. qwen2.5:7b")
        self.key_env = QLineEdit(placeholderText="optional: an environment variable")
        self.key = QLineEdit(placeholderText="optional: kept in the system keychain")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        for widget, text in ((self.name, "Server name"), (self.url, "Server URL"),
                             (self.model, "Model name on the server"),
                             (self.key_env, "API key environment variable"),
                             (self.key, "API key")):
            widget.setAccessibleName(text)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&URL", self.url)
        form.addRow("&Model", self.model)
        form.addRow("API key &variable", self.key_env)
        form.addRow("API &key", self.key)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.allow_remote = False
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A server that speaks the OpenAI-compatible chat API (Ollama, "
                                "LM Studio, llama.cpp's server, vLLM). Nothing is sent now."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def check(self) -> None:
        try:
            end = parse_url(self.url.text())
        except InvalidInput as err:
            self.error.setText(str(err))
            theme.mark_error(self.error, True)
            return
        if not is_loopback(end.host):
            if not confirm_remote(self, end.host):
                self.error.setText(f"Not added: nothing will be sent to {end.host}.")
                theme.mark_error(self.error, True)
                return
            self.allow_remote = True
        self.accept()

    def values(self) -> dict:
        return {"name": self.name.text().strip(), "url": self.url.text().strip(),
                "model": self.model.text().strip(), "api_key_env": self.key_env.text().strip(),
                "allow_remote": self.allow_remote, "key": self.key.text()}
