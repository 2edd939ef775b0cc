"""Settings -> Model: the model library (the bundled model, GGUFs added, servers), each with its
facts, the memory it needs against the memory free and its measured speed; Add GGUF…, Add
server…, Use, Remove, Probe, Show what will be sent; the models found on this computer
(ui/found_models.py); and the generation settings."""

from __future__ import annotations

import os
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from services import settings as settings_service
from services.advice import advisor, llm, model_holder, model_library
from ui import theme
from ui.context import AppContext
from ui.errors import report
from ui.found_models import FoundModels


def facts_html(facts, n_ctx: int) -> str:
    rows = [("Name", facts.name), ("Architecture", facts.architecture),
            ("Parameters", facts.parameter_label), ("Quantization", facts.quantization),
            ("Context length (trained)", f"{facts.context_length:,} tokens"),
            ("File size", f"{facts.file_size / 2**20:,.0f} MB"),
            ("Memory needed (estimate)", f"{facts.ram_estimate(n_ctx) / 2**20:,.0f} MB at "
                                         f"{n_ctx:,} tokens of context"),
            ("Chat template", "yes: instruct model, whole advice"
             if facts.has_chat_template else "no: base model, one suggestion per angle")]
    return _table(rows)


def _table(rows) -> str:
    return "<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                               for k, v in rows) + "</table>"


def recommended_html(models: list[dict], memory: int) -> str:
    """The recommended instruct models (resources/models.toml), as `models recommended` prints
    them: which fit this machine's memory, the file to look for, its licence and its page."""
    have = memory / 2**30
    head = (f"This machine has {have:.0f} GB. " if have else "") + (
        "Confidant never downloads a model: get the file from the page named, then "
        "<b>Add GGUF…</b> on the Library tab.")
    rows = []
    for m in models:
        e = {k: escape(str(v)) for k, v in m.items()}
        fits = "" if not have or m["ram_gb"] <= have + 0.5 else " <b>(needs more memory)</b>"
        rows.append(f"<p><b>{e['title']}</b> — {e['ram_gb']} GB machines{fits}<br>"
                    f"{e['file']} ({e['quantization']}, about {e['size_gb']} GB), "
                    f"{e['licence']}<br>{e['source']}</p>")
    return f"<p>{head}</p>" + "".join(rows)


def info_html(info: dict) -> str:
    """What `model_library.describe` says about an entry, as a table."""
    e = {k: escape(str(v)) for k, v in info.items()}
    if info["kind"] == "server":
        where = "this machine" if info["loopback"] else \
            f"<b>another machine ({e['host']})</b>: journal excerpts are sent there"
        rows = [("Server", e["url"]), ("Model", e["model"]), ("Where", where),
                ("API key", e["api_key"] if info["api_key"] else "none")]
    elif "problem" in info:
        rows = [("File", e["path"]), ("State", e["problem"])]
    else:
        free = info["ram_free"]
        fits = "fits" if not free or info["ram_needed"] <= free else "<b>more than is free</b>"
        rows = [("Name", e["model"]), ("Parameters", e["parameters"]),
                ("Quantization", e["quantization"]),
                ("Context length (trained)", f"{info['context_length']:,} tokens"),
                ("Memory needed", f"{info['ram_needed'] / 2**30:.1f} GB of "
                                  f"{free / 2**30:.1f} GB free ({fits})"),
                ("Chat template", "yes: instruct model, whole advice" if info["chat_template"]
                 else "no: base model, one suggestion per angle"), ("File", e["path"])]
        if info.get("recommended"):
            rows.append(("Recommended", e["recommended"]))
    probe = info.get("probe")
    rows.append(("Speed here", "not measured yet: Probe" if not probe else
                 f"prompt {probe.get('prompt_tps', 0):.0f} tokens/s, generation "
                 f"{probe.get('generation_tps', 0):.1f} tokens/s, first token "
                 f"{probe.get('first_token_seconds', 0):.2f} s"))
    return _table(rows)


class ModelDialog(QDialog):
    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.partner_id = getattr(parent, "partner_id", None)
        values = ctx.settings
        self.chosen = model_library.in_use(values)
        self.library: list[model_library.Entry] = []
        self.chosen_path = values.model_path
        self.setWindowTitle("Model")
        self.list = QListWidget()
        self.list.setAccessibleName("Model library")
        self.list.currentItemChanged.connect(lambda *_: self.inspect())
        self.list.itemActivated.connect(lambda *_: self.use())
        self.facts = QLabel("Reading the library…")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        for text, slot, name in (("Add &GGUF…", self.choose, "Add a GGUF model file"),
                                 ("Add &server…", self.add_server, "Add a model server"),
                                 ("&Use", self.use, "Use the selected model"),
                                 ("&Remove", self.remove, "Remove the selected model"),
                                 ("&Probe", self.probe, "Measure the selected model's speed"),
                                 ("Show what will be &sent", self.show_request,
                                  "Show the request the selected server would be sent")):
            button = QPushButton(text)
            button.setAccessibleName(name)
            button.clicked.connect(slot)
            row.addWidget(button)
            setattr(self, f"{slot.__name__}_button", button)
        cores = os.cpu_count() or 1
        self.threads = QSpinBox(minimum=0, maximum=cores * 2, value=values.threads)
        self.threads.setSpecialValueText(f"all cores ({cores})")
        self.context = QSpinBox(minimum=512, maximum=131072, singleStep=512,
                                value=values.context_length)
        self.temperature = QDoubleSpinBox(minimum=0, maximum=2, singleStep=0.1,
                                          value=values.temperature)
        self.max_tokens = QSpinBox(minimum=16, maximum=4096, value=values.max_tokens)
        form = QFormLayout()
        for label, widget in (("&Threads", self.threads), ("&Context length", self.context),
                              ("T&emperature", self.temperature),
                              ("Max to&kens", self.max_tokens)):
            widget.setAccessibleName(label.replace("&", ""))
            form.addRow(label, widget)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.recommended = QTextBrowser()  # issue 20, item 22: the list itself, not a command
        self.recommended.setOpenLinks(False)  # the app opens nothing on the network
        self.recommended.setAccessibleName("Recommended models")
        self.recommended.setHtml(recommended_html(model_library.recommended(),
                                                  llm.machine_memory()))
        library = QWidget()
        lib = QVBoxLayout(library)
        lib.setContentsMargins(0, 0, 0, 0)
        lib.addWidget(QLabel("Models (● in use). Confidant never downloads a model; the "
                             "Recommended tab says what is worth getting."))
        lib.addWidget(self.list, 1)
        lib.addLayout(row)
        lib.addWidget(self.facts)
        self.found = FoundModels(ctx)    # issue 21, item 4: looked for when first opened
        self.found.added.connect(lambda entry: self.refresh(select=entry.name))
        self.tabs = QTabWidget()
        self.tabs.addTab(library, "&Library")
        self.tabs.addTab(self.recommended,
                         f"Recommende&d ({len(model_library.recommended())})")
        self.tabs.addTab(self.found, "&Found on this computer")
        self.tabs.currentChanged.connect(self._tab_opened)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(760, 560)
        self._fill(values, None)     # the preferences the window holds: listed at once

    def _tab_opened(self, index: int) -> None:
        if self.tabs.widget(index) is self.found and not self.found.looked:
            self.found.look()

    # --- the list ------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        self.ctx.db(settings_service.get_settings,
                    on_done=lambda values: self._fill(values, select), on_error=self._refused)

    def _fill(self, values, select: str | None) -> None:
        self.values_read = values
        self.found.set_library(values)
        self.library = model_library.entries(values)
        if self.chosen not in {e.name for e in self.library}:
            self.chosen = model_library.BUNDLED
        self.list.blockSignals(True)
        self.list.clear()
        for entry in self.library:
            detail = (f"server {entry.model} at {entry.host}" if entry.kind == "server" else
                      "the bundled Gemma 3 270M" if entry.kind == "bundled" else entry.path)
            item = QListWidgetItem(f"{'● ' if entry.name == self.chosen else '   '}"
                                   f"{entry.name} — {detail}")
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            self.list.addItem(item)
        names = [e.name for e in self.library]
        target = select if select in names else self.chosen
        self.list.setCurrentRow(names.index(target))
        self.list.blockSignals(False)
        if select is not None or not hasattr(self, "_seq"):
            self.inspect()   # a refresh after an action shows what the action chose

    def selected(self) -> model_library.Entry | None:
        item = self.list.currentItem()
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((e for e in self.library if e.name == name), None)

    def inspect(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        values, data_dir = self.values_read, self.ctx.data_dir

        def read():
            path = llm.Path(entry.path) if entry.kind == "gguf" else llm.bundled_path(data_dir)
            if entry.kind != "server" and path.exists():  # a refused file says so here
                model_library.check_file(path, values.context_length)
            return model_library.describe(entry, values, data_dir)

        seq = self._next()
        self.ctx.tasks.run(read, on_done=lambda info: self._show(info, seq),
                           on_error=lambda err: self._refused(err, seq))

    def _next(self) -> int:
        """Each look at the facts gets a number: an older answer arriving late is dropped."""
        self._seq = getattr(self, "_seq", 0) + 1
        return self._seq

    def _show(self, info: dict, seq: int | None = None) -> None:
        if seq is not None and seq != self._seq:
            return
        self.facts.setText(info_html(info))
        theme.mark_error(self.facts, False)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def _refused(self, err, seq: int | None = None) -> None:
        if seq is not None and seq != self._seq:
            return
        report(err, self, lambda text: self.facts.setText(f"Refused: {escape(text)}"))
        theme.mark_error(self.facts, True)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)

    # --- actions -------------------------------------------------------------------------------
    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a GGUF model", "",
                                              "GGUF models (*.gguf);;All files (*)")
        if not path:
            return
        known = next((e for e in self.library if e.kind == "gguf"
                      and llm.Path(e.path) == llm.Path(path).resolve()), None)
        if known is not None:
            self._chose(known.name, known.path)
            return
        self.facts.setText("Checking the file (header, memory, chat template, SHA-256)…")
        self._next()
        self.ctx.db(model_library.add_gguf, write=True, path=llm.Path(path),
                    data_dir=self.ctx.data_dir,
                    on_done=lambda added: self._chose(added[0].name, added[0].path),
                    on_error=self._refused)

    def _chose(self, name: str, path: str) -> None:
        self.chosen, self.chosen_path = name, path
        self.refresh(select=name)

    def use(self) -> None:
        entry = self.selected()
        if entry is not None:
            self._chose(entry.name, entry.path if entry.kind == "gguf" else "")

    def add_server(self) -> None:
        from ui.server_dialog import ServerDialog

        dialog = ServerDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        v = dialog.values()
        key = v.pop("key")
        data_dir = self.ctx.data_dir     # the key may not open this vault (issue 18, item 9)

        def add(session):
            entry = model_library.add_server(session=session, key_in_keychain=bool(key),
                                             key=key or None, data_dir=data_dir, **v)
            if key:
                from services.advice.server_model import store_key

                store_key(entry.name, key)
            return entry

        self.ctx.db(add, write=True, on_done=lambda entry: self.refresh(select=entry.name),
                    on_error=self._refused)

    def remove(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        data_dir = self.ctx.data_dir

        def removed(gone):
            model_library.delete_copy(gone, data_dir)
            if self.chosen == gone.name:
                self.chosen, self.chosen_path = model_library.BUNDLED, ""
            self.refresh(select=self.chosen)

        self.ctx.db(model_library.remove, write=True, name=entry.name, on_done=removed,
                    on_error=self._refused)

    def probe(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        values, data_dir = self.values_read, self.ctx.data_dir

        def measure():
            from services.advice.model_probe import probe

            holder = model_holder.ModelHolder()
            try:
                return probe(holder.get(model_library.settings_for(values, data_dir,
                                                                   entry.name)))
            finally:
                holder.close()

        self.facts.setText(f"Measuring {escape(entry.name)}…")
        self._next()
        self.ctx.tasks.run(measure, pool="slow", on_error=self._refused,
                           on_done=lambda figures: self.ctx.db(
                               model_library.record_probe, write=True, name=entry.name,
                               figures=figures, on_error=self._refused,
                               on_done=lambda _: self.refresh(select=entry.name)))

    def show_request(self) -> None:
        entry = self.selected()
        if entry is None or entry.kind != "server":
            self.facts.setText("Only a server is sent anything; this model runs here.")
            return
        self.ctx.db(advisor.server_request, name=entry.name, data_dir=self.ctx.data_dir,
                    partner_id=self.partner_id, on_done=self._show_request,
                    on_error=self._refused)

    def _show_request(self, text: str) -> None:
        view = QDialog(self)
        view.setWindowTitle("What will be sent")
        box = QPlainTextEdit(text)
        box.setReadOnly(True)
        box.setAccessibleName("The request that will be sent")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(view.reject)
        layout = QVBoxLayout(view)
        layout.addWidget(box)
        layout.addWidget(buttons)
        view.resize(720, 520)
        view.open()
        self.request_view = view

    def values(self) -> dict:
        name = "" if self.chosen == model_library.BUNDLED else self.chosen
        return {"model_name": name, "model_path": self.chosen_path,
                "threads": self.threads.value(), "context_length": self.context.value(),
                "temperature": round(self.temperature.value(), 2),
                "max_tokens": self.max_tokens.value()}
