"""The command line's voice (issue 15): `transcribe FILE` and `log ... --audio FILE`.

The sound is decoded in memory before the vault opens (a bad file costs nothing); the names
come from a short read; the model works with no transaction open; the entry is written in one
use case afterwards, so a failure or Ctrl+C at any step leaves the journal as it was.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

from services import journal, voice
from services import settings as settings_service
from services.errors import InvalidInput, NotFound
from services.store import use_case
from services.terminal import shown
from services.voice import audio
from ui.cli.common import data_dir_of, open_vault, read_text


def _language(code: str | None) -> str | None:
    if not code:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = code.strip().lower()
    if code not in _LANGUAGE_CODES:
        raise InvalidInput(f"--language: '{shown(code[:12])}' is not a language code Whisper "
                           "knows (e.g. en, de, fr, es).")
    return code


def _words_and_threads(session, partner_name: str | None) -> tuple[list[str], int]:
    prefs = settings_service.get_settings(session=session)
    partner_id = None
    if partner_name:
        try:
            partner_id = journal.resolve_partner(session=session, name=partner_name).id
        except NotFound:
            partner_id = None  # `log` adds a new partner; its name still helps
    words = voice.vocabulary(session=session, partner_id=partner_id, glossary=prefs.glossary)
    if partner_name and partner_id is None:
        words.insert(0, partner_name.strip())
    return words, prefs.threads or (os.cpu_count() or 1)


def _transcript(args, vault, path: str, partner_name: str | None) -> voice.Transcript:
    language = _language(args.language)
    clip = audio.decode_file(path)
    with use_case(vault) as session:
        words, threads = _words_and_threads(session, partner_name)
    model = voice.load_model(voice.install_model(data_dir_of(args)), threads)
    try:
        return voice.transcribe(clip, model=model, words=words, language=language,
                                on_progress=_progress if sys.stderr.isatty() else None)
    finally:
        if sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _progress(done: float, left: float | None) -> None:
    """On a terminal: how far, and about how long is left (one line, redrawn)."""
    rest = f", about {left:.0f} s left" if left is not None else ""
    print(f"\rTranscribing on this machine: {done:.0%}{rest}\033[K", end="", file=sys.stderr,
          flush=True)


def _offer(transcript: voice.Transcript) -> None:
    for c in transcript.corrections:
        print(f"Heard '{shown(c.heard)}': did you mean '{shown(c.name)}'? (left as heard)",
              file=sys.stderr)


def cmd_transcribe(args) -> None:
    vault = open_vault(args)
    try:
        transcript = _transcript(args, vault, args.file, args.partner)
    finally:
        vault.lock()
    if args.json:
        print(json.dumps(transcript.as_json(), ensure_ascii=False, indent=1))
        return
    print(shown(transcript.text, lines=True))
    _offer(transcript)
    print(f"({transcript.seconds:.1f} s of {transcript.language} in {transcript.elapsed:.1f} s)",
          file=sys.stderr)


def log_audio(args, write_entry) -> None:
    """`log --audio FILE`: the transcript joins the notes or the private reflection given (if
    any), then `write_entry(args, session)` (cmd_log's own body) runs as one write."""
    vault = open_vault(args)
    out, err = io.StringIO(), io.StringIO()
    try:
        transcript = _transcript(args, vault, args.audio, args.partner)
        into = args.into or "notes"
        given = read_text(getattr(args, f"{into}_file"), getattr(args, into))
        setattr(args, into, (given.rstrip() + "\n\n" if given.strip() else "") + transcript.text)
        setattr(args, f"{into}_file", None)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with use_case(vault, write=True) as session:
                write_entry(args, session)
            print(f"Transcribed {transcript.seconds:.0f} s of sound into the "
                  f"{'private reflection' if into == 'reflection' else 'notes'}.",
                  file=sys.stderr)
            _offer(transcript)
    finally:
        vault.lock()
    sys.stderr.write(err.getvalue())
    sys.stdout.write(out.getvalue())

