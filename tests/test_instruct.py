"""The instruct path, for real: the bundled Gemma GGUF copied with gguf-py and given Gemma's chat
template, so llama.cpp formats real chat messages for a real model. The template is applied, the
journal's ids reach the prompt within the token budget, citations are checked against the
prompt, every sentence goes through the grounding check, Stop keeps no fragment, and the next
question on the same partner reuses the KV cache."""

from __future__ import annotations

import pytest

from services import journal
from services.advice import advisor, llm, prompts
from services.advice.advice_writer import STOPPED
from services.advice.grounding import CITE
from services.journal import demo
from services.store import use_case
from tests.gguf_chat import CHAT_NAME, build_chat_model


@pytest.fixture(scope="session")
def chat_model(model_dir, tmp_path_factory):
    path = build_chat_model(llm.bundled_path(model_dir),
                            tmp_path_factory.mktemp("chat-model") / "gemma-chat.gguf")
    settings = llm.ModelSettings(path=path, temperature=0.0, context_length=2048,
                                 max_tokens=48)
    model = llm.LocalModel(settings, llm.inspect_model(path, 2048))
    yield model
    model.close()


@pytest.fixture
def meridian(vault):
    with use_case(vault, write=True) as s:
        demo.load_sample(session=s)
        partner = journal.resolve_partner(session=s, name="Meridian Health Group")
        entry = next(i for i in journal.list_interactions(session=s, partner_id=partner.id)
                     if i.title.startswith("ROI review"))
    return vault, partner, entry


def ask(vault, partner, model, *, kind="politics", interaction_id=None, max_tokens=None,
        listener=None):
    """Written in a read, saved (when a sentence passed) in a write of its own, as the app."""
    request = advisor.AdviceRequest(partner_id=partner.id, kind=kind,
                                    interaction_id=interaction_id, max_tokens=max_tokens)
    with use_case(vault) as s:
        result = advisor.advise(session=s, request=request, model_source=lambda: model,
                                listener=listener)
    if result.text:
        with use_case(vault, write=True) as s:
            advisor.save_advice(session=s, request=request, result=result)
    return result


def in_context(model) -> str:
    """What llama.cpp actually evaluated for the last generation, special tokens included."""
    tokens = list(model.llm.input_ids[:model.llm.n_tokens])
    return model.llm.detokenize(tokens, special=True).decode("utf-8", errors="replace")


def test_the_test_model_is_an_instruct_model_with_gemmas_template(chat_model):
    assert chat_model.is_instruct and chat_model.name == CHAT_NAME
    assert "<start_of_turn>" in chat_model.facts.chat_template
    assert chat_model.llm.metadata["tokenizer.chat_template"] == chat_model.facts.chat_template


def test_template_applied_ids_in_budget_and_citations_checked(meridian, chat_model):
    vault, partner, entry = meridian
    result = ask(vault, partner, chat_model, interaction_id=entry.id)
    context = in_context(chat_model)
    assert context.count("<start_of_turn>user\n") == 1 and "<start_of_turn>model\n" in context
    assert "<start_of_turn>user\nYou are Confidant" in context      # system text, then the user's
    assert result.timing.prompt_tokens <= prompts.INSTRUCT_PROMPT_TOKENS
    journal_ids = {int(i) for i in CITE.findall(result.prompt.text.split("Playbook angles:")[0])}
    assert len(journal_ids) >= 4 and entry.id in journal_ids       # the entry in question too
    assert all(f"[#{i}]" in context for i in journal_ids)
    assert f"The question is about entry [#{entry.id}]" in context
    assert result.prompt.text.index("Journal entries") < result.prompt.text.index("Playbook")
    assert "we owe" in result.prompt.text or "they owe" in result.prompt.text
    assert " us owe " not in result.prompt.text and " them owe " not in result.prompt.text
    assert set(result.cited) <= result.prompt.ids
    for part in result.parts:
        foreign = [int(i) for i in CITE.findall(part.text) if int(i) not in result.prompt.ids]
        assert not (foreign and part.kept)


def test_every_sentence_is_checked_and_only_kept_text_is_saved(meridian, chat_model):
    vault, partner, _entry = meridian
    result = ask(vault, partner, chat_model, max_tokens=96)
    raw = result.timing.generations[0].text
    assert result.parts and raw.strip()
    assert all(p.reason for p in result.parts if not p.kept)
    assert all(p.text in raw.replace("**", "") for p in result.parts if p.reason != STOPPED)
    withheld = [p.text for p in result.parts if not p.kept]
    assert withheld, "the 270M model copies its prompt; the check must catch it"
    assert not any(w in (result.text or "") for w in withheld)
    if result.text:
        kept = " ".join(p.text for p in result.parts if p.kept)
        assert result.text.replace("\n\n", " ") == kept
        with use_case(vault) as s:
            saved = advisor.list_advice(session=s, partner_id=partner.id)[0]
        assert saved.text == result.text and not saved.stopped


def test_stop_keeps_no_fragment(meridian, chat_model):
    vault, partner, _entry = meridian
    pieces, calls = [], []

    def stop() -> bool:
        calls.append(1)
        return len(calls) >= 23

    result = ask(vault, partner, chat_model, kind="strategy", max_tokens=200,
                 listener=advisor.AdviceListener(token=pieces.append, stopped=stop))
    assert result.stopped and len(calls) == 23
    raw = result.timing.generations[0].text
    assert result.parts[-1].reason == STOPPED or raw.rstrip()[-1] in ".!?"
    assert "".join(pieces).strip() == (result.text or "")
    with use_case(vault) as s:
        saved = advisor.list_advice(session=s, partner_id=partner.id)
    assert (saved[0].stopped and saved[0].text == result.text) if result.text else saved == []


def test_next_question_on_the_same_partner_reuses_the_kv_cache(meridian, chat_model):
    vault, partner, _entry = meridian
    chat_model.llm.reset()
    first = ask(vault, partner, chat_model, kind="prepare", max_tokens=4)
    second = ask(vault, partner, chat_model, kind="strategy", max_tokens=4)
    cold = first.timing.generations[0].prompt_evaluated
    warm = second.timing.generations[0].prompt_evaluated
    assert cold >= first.timing.prompt_tokens - 30              # everything read the first time
    journal_part = chat_model.count_tokens(second.prompt.text.split("Playbook angles:")[0])
    assert warm <= second.timing.prompt_tokens - journal_part   # system + journal: from the cache
