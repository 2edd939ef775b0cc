"""One fault at a time, injected by strace into a forked copy of the test process that runs one
CLI command: an I/O error (EIO) or a kill (SIGKILL) at the n-th call of one system call.

The copy has everything imported already, so a run costs a fork, an attach and the command
itself. `counts()` tells how many calls of each kind a clean run makes; the tests then inject at
each of them (writes from SQLite at a stride, every one with CONFIDANT_FAULT_STRIDE=1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import main

SYSCALLS = ("fsync", "fdatasync", "rename", "write", "pwrite64")
STRIDE = int(os.environ.get("CONFIDANT_FAULT_STRIDE", "8"))  # for pwrite64 (SQLite's pages)


def available() -> bool:
    if not shutil.which("strace") or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"], capture_output=True)
    return probe.returncode == 0


@dataclass
class Run:
    code: int | None  # None: killed
    out: str          # what reached stdout and stderr before the end


def run(argv: list[str], env: dict[str, str], out_file: Path, *, strace_args: list[str]) -> Run:
    """`main.main(argv)` in a forked child under strace with `strace_args`."""
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: wait until strace is attached, then run the command
        code = 3
        try:
            os.close(go_write)
            os.read(go_read, 1)
            os.environ.update(env)
            sys.stdout = sys.stderr = open(out_file, "w", encoding="utf-8", buffering=1)
            code = main.main(argv)
            sys.stdout.flush()
        except BaseException:  # noqa: BLE001 - it escaped main(): the test shows it
            import traceback

            traceback.print_exc(file=sys.stdout)
            code = 4
        finally:
            os._exit(code)
    os.close(go_read)
    tracer = subprocess.Popen(["strace", "-f", "-p", str(pid), "-o", os.devnull, *strace_args],
                              stderr=subprocess.PIPE, text=True)
    try:
        attached = tracer.stderr.readline()
        assert "attached" in attached, attached
        os.write(go_write, b"x")
        os.close(go_write)
        _, status = os.waitpid(pid, 0)
    finally:
        tracer.wait(timeout=60)
    code = None if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
    return Run(code, out_file.read_text(encoding="utf-8", errors="replace"))


def counts(argv: list[str], env: dict[str, str], scratch: Path) -> dict[str, int]:
    """How many calls of each fault point a clean run of the command makes."""
    trace = scratch / "trace.txt"
    done = run(argv, env, scratch / "out.txt",
               strace_args=["-e", "trace=" + ",".join(SYSCALLS), "-o", str(trace)])
    assert done.code == 0, done.out
    seen = {name: 0 for name in SYSCALLS}
    for line in trace.read_text().splitlines():
        found = re.match(r"\s*(?:\d+\s+)?(\w+)\(", line)
        if found and found.group(1) in seen:
            seen[found.group(1)] += 1
    return seen


def points(seen: dict[str, int]) -> list[tuple[str, int]]:
    """Every (system call, n) to inject at: all of them, SQLite's page writes at a stride."""
    out = []
    for name, total in seen.items():
        step = STRIDE if name == "pwrite64" else 1
        picks = set(range(1, total + 1, step)) | ({total} if total else set())
        out += [(name, n) for n in sorted(picks)]
    return out


def fault(name: str, n: int, how: str) -> list[str]:
    """strace arguments for one fault: how is 'eio' or 'kill'."""
    action = "error=EIO" if how == "eio" else "signal=KILL"
    return ["-e", f"trace={name}", "-e", f"inject={name}:{action}:when={n}"]
