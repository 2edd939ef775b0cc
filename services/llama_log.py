"""llama.cpp's own log, silenced once per process: it prints notices to stderr even with
verbose=False, and the command line's output is ours. Shared by the advisor's model and the
meaning model."""

from __future__ import annotations

_QUIET = None   # the C callback, kept alive as long as the process


def silence() -> None:
    global _QUIET
    if _QUIET is not None:
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def quiet(level, text, user_data):  # pragma: no cover - called from C
        return None

    _QUIET = quiet
    llama_cpp.llama_log_set(quiet, ctypes.c_void_p())
