"""The advisor's one loaded text engine: at most one model in memory (in-process llama.cpp, or
a server's connection settings); switching settings closes the old one first. It sits above
both engines and the model library, so neither engine knows of the other."""

from __future__ import annotations

import threading
from pathlib import Path

from services.advice.engine import TextEngine
from services.advice.llm import LocalModel, ModelSettings, check_recorded, inspect_model
from services.advice.model_library import settings_for
from services.advice.server_model import ServerModel
from services.advice.template_sandbox import check_template
from services.errors import InvalidInput, ModelUnavailable
from services.settings import Preferences


class ModelHolder:
    """Keeps at most one engine loaded; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self.model: TextEngine | None = None
        self.error: str | None = None

    def get(self, settings) -> TextEngine:
        """settings: ModelSettings (a GGUF, in-process) or ServerSettings (a server)."""
        with self._lock:
            if self.model is not None and self.model.settings == settings:
                return self.model
            if self.model is not None:
                self.model.close()
                self.model = None
            try:
                if isinstance(settings, ModelSettings):
                    facts = inspect_model(settings.path, settings.context_length)
                    check_recorded(settings)
                    check_template(facts.chat_template)
                    self.model = LocalModel(settings, facts)
                else:
                    self.model = ServerModel(settings)
            except InvalidInput as err:
                self.error = str(err)
                raise ModelUnavailable(str(err)) from None
            self.error = None
            return self.model

    def for_settings(self, values: Preferences, data_dir: Path) -> TextEngine:
        """The engine the preferences name: the library entry in use (a GGUF or a server), or
        the bundled model (installed on first use)."""
        try:
            return self.get(settings_for(values, data_dir))
        except ModelUnavailable as err:
            self.error = str(err)
            raise

    def close(self) -> None:
        with self._lock:
            if self.model is not None:
                self.model.close()
                self.model = None
