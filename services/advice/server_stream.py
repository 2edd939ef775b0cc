"""Reading one server's answer as untrusted input: `Guard` watches a generation from a thread of
its own (Stop, the deadline) and shuts the socket so a blocked read returns; `Events` yields the
server-sent event lines within the caps (a line, the whole response, lines without text);
`delta` reads one event's text. Every failure is one line (ServerFailed)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

from services.errors import ServerFailed

MAX_LINE = 1 << 20        # one server-sent event line
MAX_RESPONSE = 8 << 20    # bytes in one response (a 4,096-token reply is under 2 MB)
MAX_QUIET_LINES = 1000    # lines in a row without text: comments, keep-alives, empty events
BLOCK = 1 << 16


class Guard:
    """Watches one generation from a thread of its own: on Stop, or at the deadline, it shuts
    the socket, so a read blocked on a silent or dripping server returns at once."""

    def __init__(self, sock, should_stop: Callable[[], bool] | None, deadline: float):
        self.should_stop, self.deadline = should_stop, deadline
        self.stopped, self.expired, self._done = (threading.Event(), threading.Event(),
                                                  threading.Event())
        self._thread = threading.Thread(target=self._watch, args=(sock,), daemon=True)
        self._thread.start()

    def _watch(self, sock) -> None:
        while not self._done.wait(0.05):
            if self.should_stop is not None and self.should_stop():
                self.stopped.set()
            elif time.perf_counter() > self.deadline:
                self.expired.set()
            else:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)   # a blocked read returns at once
            except OSError:
                pass
            return

    def finish(self) -> None:
        self._done.set()
        self._thread.join(1.0)


class Events:
    """The response's lines, read a block at a time (never a chunk size's worth), within
    limits: MAX_RESPONSE bytes in all, MAX_LINE a line, and text at least every
    `quiet_seconds` and every MAX_QUIET_LINES lines."""

    def __init__(self, response, where: str, quiet_seconds: float, cut_off: str):
        self.response, self.where, self.cut_off = response, where, cut_off
        self.quiet_seconds = quiet_seconds
        self.total, self.quiet_lines, self.last_text = 0, 0, time.perf_counter()

    def heard(self, text: bool) -> None:
        if text:
            self.quiet_lines, self.last_text = 0, time.perf_counter()
            return
        self.quiet_lines += 1
        if self.quiet_lines > MAX_QUIET_LINES:
            raise ServerFailed(f"{self.where} sent {MAX_QUIET_LINES:,} lines without any "
                               f"text; {self.cut_off}.")

    def lines(self):
        buffer = bytearray()
        while True:
            block = self.response.read1(BLOCK)
            if not block:
                if buffer:
                    yield bytes(buffer)
                return
            self.total += len(block)
            if self.total > MAX_RESPONSE:
                raise ServerFailed(f"{self.where} sent more than {MAX_RESPONSE >> 20} MB; "
                                   f"{self.cut_off}.")
            if time.perf_counter() - self.last_text > self.quiet_seconds:
                raise ServerFailed(f"{self.where} sent no text for {self.quiet_seconds:g} s; "
                                   f"{self.cut_off}.")
            buffer += block
            done = 0
            while (cut := buffer.find(b"\n", done)) >= 0:
                yield bytes(buffer[done:cut + 1])
                done = cut + 1
            del buffer[:done]
            if len(buffer) > MAX_LINE:
                raise ServerFailed(f"{self.where} sent an event line over 1 MB.")


def delta(data: bytes, where: str) -> tuple[str | None, bool]:
    """The text an event carries, and whether it carries reasoning instead (a thinking model's
    `reasoning_content`: progress, though not text)."""
    try:
        event = json.loads(data)
        if isinstance(event, dict) and "error" in event:
            raise ServerFailed(f"{where} reported an error in the stream.")
        if event["choices"] == []:  # a usage-only chunk (OpenAI's last, Azure's first)
            return None, False
        choice = event["choices"][0]
        delta = choice.get("delta") or {}
        piece = delta.get("content")
        if piece is None:
            piece = choice.get("text")
        thinking = delta.get("reasoning_content") or delta.get("reasoning")
    except ServerFailed:
        raise
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        raise ServerFailed(f"{where} sent something that is not a chat stream "
                           "(invalid JSON).") from None
    if piece is not None and not isinstance(piece, str):
        raise ServerFailed(f"{where} sent something that is not a chat stream.")
    return piece, isinstance(thinking, str) and bool(thinking)
