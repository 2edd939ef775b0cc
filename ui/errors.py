"""One place that turns errors into what the user sees, and logs the unexpected ones.

The log never holds the notes' text: database errors are logged without their statement and
parameters, and any message longer than a line is cut.
"""

from __future__ import annotations

import logging
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from services.errors import ConfidantError, Interrupted

log = logging.getLogger("confidant")
MAX_MESSAGE = 160


def setup_logging(data_dir: Path) -> Path:
    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "confidant.log"
    if not any(isinstance(h, RotatingFileHandler) for h in log.handlers):
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return path


# Code that runs what a model file holds (its chat template) or what a server sends: its
# messages can quote the conversation, so an error raised there is logged by type and frames.
MODEL_CODE = ("llama_cpp", "jinja2", "<template>", "template_sandbox", "server_model")


def from_model_code(err: BaseException) -> bool:
    return any(part in frame.filename for frame in traceback.extract_tb(err.__traceback__)
               for part in MODEL_CODE)


def safe_message(err: BaseException) -> str:
    if from_model_code(err):
        return f"{type(err).__name__} (message left out: raised by model code)"
    inner = getattr(err, "orig", None)  # SQLAlchemy: the driver's error, without parameters
    text = str(inner if inner is not None else err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text[:MAX_MESSAGE]}"


def safe_details(err: BaseException) -> str:
    """A traceback with frames and the short message only (no locals, no statements)."""
    frames = traceback.extract_tb(err.__traceback__)
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    return "Traceback (most recent call last):\n" + "\n".join(lines) + "\n" + safe_message(err)


def is_expected(err: BaseException) -> bool:
    return isinstance(err, ConfidantError)


def user_message(err: BaseException) -> str | None:
    """The one line to show, or None for a cancel."""
    if isinstance(err, Interrupted):
        return None
    if is_expected(err):
        return str(err)
    return "Something went wrong. Your journal is safe; the details are in the log."


def log_unexpected(err: BaseException) -> str:
    details = safe_details(err)
    log.error("unexpected error\n%s", details)
    return details


def report(err: BaseException, parent=None, show=None) -> str | None:
    """The UI's one error path: every failure a slot receives ends here, none is re-raised.

    A cancel shows nothing. An error the user can act on is one line, given to `show` (a
    QLabel's setText, say) and returned. The unexpected is logged without note text and shown
    in the error dialog; `show` gets the reassuring one-liner.
    """
    text = user_message(err)
    if text is None:
        return None
    if not is_expected(err):
        ErrorDialog(log_unexpected(err), parent).exec()
    if show is not None:
        show(text)
    return text


class ErrorDialog(QDialog):
    """For the unexpected: what happened, the details to copy, and the app goes on."""

    def __init__(self, details: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Unexpected error")
        self.details = details
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Confidant hit an unexpected error. Your journal is safe and the "
                                "app keeps running.\nThe details below are also in the log file."))
        box = QPlainTextEdit(details)
        box.setReadOnly(True)
        layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
