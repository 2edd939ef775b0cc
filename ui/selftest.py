"""`Confidant --self-test`: the whole chain on a throwaway vault, one line per step.

Works from the source tree and from the packaged folder alike; uses the bundled model."""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from services.store import use_case

VOICE_CLIP = "selftest_voice.wav"  # espeak-ng: 'Please send the roadmap on Friday.' (2.5 s)
VOICE_WORD = "roadmap"


def run_self_test(out: Callable[[str], None] = print, max_tokens: int = 8) -> int:
    """Returns the number of failed steps (0: all ok)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["confidant"])  # noqa: F841
    state: dict = {}
    failures = 0

    with tempfile.TemporaryDirectory(prefix="confidant-self-test-") as tmp:
        root = Path(tmp) / "vault"  # the brief goes beside it: never into a data folder

        def create():
            from services import vault

            created = vault.create_vault(root, passphrase=secrets.token_hex(8),
                                         use_keychain=False)
            state["vault"] = created.vault
            return f"vault created in {root.parent.name} (SQLCipher, raw key wrapped by scrypt)"

        def write_and_search():
            from services import journal
            from services.journal import search

            with use_case(state["vault"], write=True) as s:
                partner = journal.create_partner(session=s, partner_in={"name": "Self-test Co"})
                entry = journal.create_interaction(session=s, interaction_in={
                    "partner_id": partner.id, "title": "Kick-off",
                    "notes": "The partner's VP was worried about the roadmap."})
                journal.create_interaction(session=s, interaction_in={
                    "partner_id": partner.id, "title": "Follow-up", "difficulty": 4,
                    "notes": "Promised a written plan."})
                hits = search.search(session=s, query="roadmap")
                if [h.id for h in hits] != [entry.id]:
                    raise AssertionError(f"search found {[h.id for h in hits]}")
                state["partner"] = partner.id
            return f"entry #{entry.id} written and found by search"

        def advise():
            from services.advice import advisor, model_holder
            from services.settings import Preferences

            holder = model_holder.ModelHolder()
            request = advisor.AdviceRequest(partner_id=state["partner"], max_tokens=max_tokens)
            try:
                with use_case(state["vault"]) as s:   # written in a read, saved in a write
                    result = advisor.advise(
                        session=s, request=request,
                        model_source=lambda: holder.for_settings(Preferences(
                            temperature=0, context_length=1024, max_tokens=max_tokens), root))
            finally:
                holder.close()
            if result.text:
                with use_case(state["vault"], write=True) as s:
                    advisor.save_advice(session=s, request=request, result=result)
            written = sum(g.completion_tokens for g in result.timing.generations)
            if not written:  # the model must run; the grounding check may keep none of it
                raise AssertionError(result.no_model_reason or "no advice written")
            rate = result.timing.tokens_per_second
            return (f"{len(result.angles)} angle(s); {result.model} wrote {written} tokens "
                    f"at {rate:.0f} tokens/s; {sum(p.kept for p in result.parts)} of "
                    f"{len(result.parts)} sentence(s) passed the grounding check")

        def export_brief():
            from services.practice import brief
            from ui.render.brief_pdf import write_pdf

            with use_case(state["vault"], write=True) as s:
                data = brief.build_brief(session=s, options=brief.BriefOptions(
                    partner_id=state["partner"]))
            target = write_pdf(data, root.parent / "brief.pdf")
            return f"brief written ({target.stat().st_size:,} bytes)"

        def hear():
            """The speech stack end to end: PyAV decodes a bundled clip, the VAD (onnxruntime)
            finds its speech, Whisper (CTranslate2) writes it: a packaged app's own model."""
            from services import voice
            from services.paths import resource
            from services.voice import audio

            folder = voice.install_model(Path(tmp) / "data")  # the app's copy when packaged
            clip = audio.decode_file(resource(VOICE_CLIP))
            heard = voice.transcribe(clip, model=voice.load_model(folder), language="en")
            if VOICE_WORD not in heard.text.lower():
                raise AssertionError(f"heard {heard.text!r}, expected {VOICE_WORD!r} in it")
            where = "packaged" if folder.parent.name == "model" else "assembled"
            return (f"{clip.seconds:.1f} s clip heard as {heard.text!r} "
                    f"(Whisper base, {where} model)")

        steps = [("vault", create), ("journal", write_and_search), ("advisor", advise),
                 ("brief", export_brief), ("voice", hear)]
        for name, step in steps:
            start = time.perf_counter()
            try:
                detail = step()
                out(f"{name:8} ok     {detail} ({time.perf_counter() - start:.2f} s)")
            except Exception as err:  # noqa: BLE001 - the self-test reports, it does not stop
                failures += 1
                out(f"{name:8} ERROR  {type(err).__name__}: {err}")
                if os.environ.get("CONFIDANT_DEBUG"):
                    traceback.print_exc()
        if "vault" in state:
            state["vault"].lock()
    out("self-test: " + ("all steps ok" if not failures else f"{failures} step(s) failed"))
    return failures
