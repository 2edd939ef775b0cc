"""The command-line front end: each command opens the vault, calls services, prints.

The commands live by part: the journal's (ui/cli/journal.py), the vault's (vault.py),
alliance practice (practice.py), the model library (models.py), speech (voice.py),
suggestions (suggest.py) and sync (sync.py); they share ui/cli/common.py. A command's module
is imported only when it runs, so start-up stays light.

Exit codes: 0 success; 1 a user error (one line on stderr); 2 the vault cannot be opened.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys

from services.errors import ConfidantError, VaultError
from services.terminal import shown

PARTS = {
    "journal": ("partner", "log", "stakeholder", "commitment", "trust", "list", "search",
                "export", "advise", "brief"),
    "vault": ("init", "demo", "passphrase", "keychain", "backup", "restore", "check"),
    "practice": ("checkup", "governance", "touch", "since", "precedents", "portfolio",
                 "import"),
    "models": ("models",),
    "voice": ("transcribe",),
    "suggest": ("suggest",),
    "sync": ("sync",),
}
PART_OF = {command: part for part, commands in PARTS.items() for command in commands}


def command(name: str):
    """The function that runs command `name` (cmd_<name> in its part's module)."""
    module = importlib.import_module(f"ui.cli.{PART_OF[name]}")
    return getattr(module, f"cmd_{name}")


def run_command(args) -> int:
    try:
        return command(args.command)(args) or 0
    except VaultError as err:
        _json_error(args, err)
        print(f"confidant: {shown(str(err))}", file=sys.stderr)
        return 2
    except ConfidantError as err:
        _json_error(args, err)
        print(f"confidant: {shown(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("confidant: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `confidant search x | head -1`: the reader has gone, quietly
        _quiet_stdout()
        return 141
    except OSError as err:  # stdout or stderr itself failed (a full disk, an I/O error)
        with contextlib.suppress(OSError):
            print(f"confidant: cannot write the output: {err.strerror or err}.",
                  file=sys.stderr)
        return 1


def _json_error(args, err: ConfidantError) -> None:
    """Under --json, stdout is valid JSON whatever failed: an object with an `error` field,
    and what the command knew before it failed (`err.json_extra`: advise's angles)."""
    if getattr(args, "json", False):
        answer = {**getattr(err, "json_extra", {}), "error": str(err)}
        with contextlib.suppress(OSError):
            print(json.dumps(answer, ensure_ascii=False, indent=1))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush raises nothing."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


# --- helpers ---------------------------------------------------------------------------------
