"""The meeting-prep brief: real PDFs, read back with pypdf."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader

from services import journal
from services.errors import InvalidInput
from services.journal import commitments, demo, export
from services.practice import brief
from ui.render.brief_pdf import page_pixels, preview_images, write_pdf

MARKER = "PRIVATE-MARKER-7f3a"


def pdf_text(path) -> tuple[int, list[str]]:
    """Page count and each page's text, normalised: words come back tab-separated, 'fi' as a
    ligature and Arabic as presentation forms in visual order, so NFKC and plain spaces."""
    reader = PdfReader(str(path))
    return len(reader.pages), [" ".join(unicodedata.normalize(
        "NFKC", page.extract_text() or "").split()) for page in reader.pages]


@pytest.fixture
def sample(session):
    demo.load_sample(session=session)
    northwind = journal.resolve_partner(session=session, name="Northwind")
    journal.create_interaction(session=session, interaction_in={
        "partner_id": northwind.id, "title": "Pre-read with Dana",
        "notes": "Walked through the agenda.", "reflection": f"I still feel exposed {MARKER}."})
    return northwind


def make(session, partner, tmp_path, name="brief.pdf", **options):
    data = brief.build_brief(session=session, options=brief.BriefOptions(
        partner_id=partner.id, meeting_date=date(2026, 12, 3), purpose="Q1 steering committee",
        prepared_by="Alex Morgan", **options))
    return write_pdf(data, tmp_path / name)


def test_brief_holds_the_essentials_and_no_private_reflection(qapp, session, sample, tmp_path):
    pages, texts = pdf_text(make(session, sample, tmp_path))
    text = " ".join(" ".join(texts).split())
    assert pages >= 2 and all(t.strip() for t in texts)
    for expected in ("Northwind Cloud", "CONFIDENTIAL", "Q1 steering committee", "Alex Morgan",
                     "Dana Whitfield", "Tom Becker", "Lena Fischer", "Where we stand",
                     "Campaign plan delivered before Northwind fiscal planning",
                     "Deliver or renegotiate what we owe", "Page 1 of"):
        assert expected in text, expected
    assert MARKER not in text and "Private reflection" not in text


def test_private_reflections_only_when_asked(qapp, session, sample, tmp_path):
    _, texts = pdf_text(make(session, sample, tmp_path, include_reflections=True))
    assert MARKER in " ".join(texts)


def test_sections_recent_limit_and_advice(qapp, session, sample, tmp_path):
    from services.advice import advisor

    result = advisor.AdviceResult(angles=[], question="How should I prepare?",
                                  text="Open with the campaign plan. [#9]", model="Test model",
                                  cited=[9])
    advisor.save_advice(session=session, request=advisor.AdviceRequest(partner_id=sample.id),
                        result=result)
    _, texts = pdf_text(make(session, sample, tmp_path, sections=("recent", "angles"), recent=2,
                             with_advice=True))
    text = " ".join(texts)
    assert "Who is in the room" not in text and "Open commitments" not in text
    assert "Open with the campaign plan." in text and "Test model" in text
    assert text.count("· meeting ·") + text.count("· email ·") + text.count("· call ·") \
        + text.count("· workshop ·") + text.count("· informal ·") \
        + text.count("· internal ·") == 2


def test_a_partner_with_nothing_gives_a_short_valid_brief(qapp, session, tmp_path):
    empty = journal.create_partner(session=session, partner_in={"name": "Newco"})
    pages, texts = pdf_text(make(session, empty, tmp_path))
    assert 1 <= pages <= 2 and all(t.strip() for t in texts)
    assert "No trust reading yet" in texts[0] and "Newco" in texts[0]


def test_names_in_any_script(qapp, session, tmp_path):
    partner = journal.create_partner(session=session, partner_in={"name": "株式会社 Sakura"})
    for name in ("Zoë Ångström", "عبد الله الشمري", "Ψυχή Παπαδοπούλου"):
        journal.create_stakeholder(session=session, stakeholder_in={
            "partner_id": partner.id, "name": name})
    commitments.add_commitment(session=session, commitment_in={
        "partner_id": partner.id, "owed_by": "us", "text": "Envoyer le plan — 計画"})
    _, texts = pdf_text(make(session, partner, tmp_path))
    text = " ".join(texts)
    for expected in ("株式会社 Sakura", "Zoë Ångström", "Ψυχή", "計画"):
        assert expected in text, expected
    assert "الله" in text or "الله"[::-1] in text  # shaped Arabic, logical or visual order


def test_unwritable_path_is_a_clear_error(qapp, session, sample, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if not os.access(locked, os.W_OK):  # root writes anywhere: then only the cases below
            with pytest.raises(InvalidInput, match="Cannot write"):
                make(session, sample, locked)
    finally:
        os.chmod(locked, 0o700)
    with pytest.raises(InvalidInput, match="Cannot write"):
        make(session, sample, tmp_path / "no" / "such" / "dir")
    with pytest.raises(InvalidInput, match="folder"):
        write_pdf(brief.build_brief(session=session, options=brief.BriefOptions(
            partner_id=sample.id)), tmp_path)
    assert not list(tmp_path.rglob("*.partial"))


def test_export_changes_nothing_in_the_journal(qapp, session, sample, tmp_path):
    def state():
        data = export.journal_data(session=session)
        data.pop("exported_at")
        return json.dumps(data, sort_keys=True)

    before = state()
    make(session, sample, tmp_path, include_reflections=True, with_advice=True)
    assert state() == before


def test_preview_pages_match_the_pdf(qapp, session, sample, tmp_path):
    data = brief.build_brief(session=session, options=brief.BriefOptions(partner_id=sample.id))
    images = preview_images(data, 0.5)
    pages, _ = pdf_text(write_pdf(data, tmp_path / "b.pdf"))
    assert len(images) == pages and images[0].width() == int(page_pixels("A4").width() * 0.5)
