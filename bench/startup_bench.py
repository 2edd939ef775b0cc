"""Start-up benchmark (issue 19, item 7): how long `list` and `search` take from a cold process,
against `python -c pass` in the same run, on the sample journal.

Run by hand: `.venv/bin/python bench/startup_bench.py`. Two ways in: a passphrase (scrypt at the
vault's cost, N=2^17: about 0.3 s by design) and the raw key (the keychain's way; measured with a
keyring backend in memory, set up by a small site hook so the CLI itself is unchanged). Target:
well under a second with the raw key.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RUNS = 7

# the raw key's way is the OS keychain; each CLI run is a new process, so a keyring backend
# keeping its entries in a file in the temp folder stands in for it
BACKEND = '''
import keyring, keyring.backend, json, os
class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1
    path = os.environ["BENCH_KEYRING"]
    def _all(self):
        try:
            return json.load(open(self.path))
        except FileNotFoundError:
            return {}
    def get_password(self, service, user):
        return self._all().get(service + "/" + user)
    def set_password(self, service, user, password):
        data = self._all(); data[service + "/" + user] = password
        json.dump(data, open(self.path, "w"))
    def delete_password(self, service, user):
        data = self._all(); data.pop(service + "/" + user, None)
        json.dump(data, open(self.path, "w"))
keyring.set_keyring(FileKeyring())
'''


def median_seconds(argv: list[str], env: dict) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr.decode()
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hook = tmp / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(BACKEND)
        base = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT")}
        with_pass = base | {"CONFIDANT_PASSPHRASE": "a long bench passphrase"}
        raw = base | {"PYTHONPATH": str(hook), "BENCH_KEYRING": str(tmp / "keys.json")}
        cli = [PY, "main.py", "--data-dir"]
        for name, env in (("passphrase", with_pass), ("raw key", raw)):
            data = str(tmp / name.replace(" ", "-"))
            # the raw key's vault keeps its key in the (file) keychain: no passphrase asked
            subprocess.run(cli + [data, "demo"], env=env, cwd=ROOT, check=True,
                           capture_output=True)
            rows = {"python -c pass": median_seconds([PY, "-c", "pass"], env),
                    "--version": median_seconds([PY, "main.py", "--version"], env),
                    "list --limit 1": median_seconds(cli + [data, "list", "--limit", "1"], env),
                    "search Dana": median_seconds(cli + [data, "search", "Dana"], env)}
            print(f"{name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in rows.items()))


if __name__ == "__main__":
    main()
