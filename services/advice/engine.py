"""The seam between the advisor and whatever writes text: the in-process llama.cpp model
(services.llm.LocalModel) and an OpenAI-compatible server (services.server_model.ServerModel)
both implement `TextEngine`, and the advisor depends on this protocol alone.

What an engine offers: its name and facts, whether it speaks chat (an instruct model) or plain
completion (the bundled base model), a token count for the prompt budget, `generate` (streamed,
stoppable: `should_stop` is asked per token), `request` (exactly what it would send, for
'Show what will be sent'), and `close`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    prompt_evaluated: int | None   # tokens actually evaluated (the rest came from the KV cache)
    completion_tokens: int
    seconds: float
    first_token_seconds: float | None
    stopped: bool

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


@runtime_checkable
class TextEngine(Protocol):
    settings: Any   # ModelSettings or ServerSettings: equal settings, the same engine
    facts: Any      # what is known of the model (ModelFacts, ServerFacts)

    @property
    def name(self) -> str: ...

    @property
    def is_instruct(self) -> bool: ...

    def count_tokens(self, text: str) -> int: ...

    def request(self, *, prompt: str | list[str] | None = None,
                messages: list[dict] | None = None, max_tokens: int | None = None,
                temperature: float | None = None, stop: list[str] | None = None) -> dict: ...

    def generate(self, *, prompt: str | list[str] | None = None,
                 messages: list[dict] | None = None, max_tokens: int | None = None,
                 temperature: float | None = None, stop: list[str] | None = None,
                 on_token: Callable[[str], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Generation: ...

    def close(self) -> None: ...
