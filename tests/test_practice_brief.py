"""The brief with alliance practice (issue 14): the health-check radar beside the trust trend,
'since we last spoke' for each person in the room, and the next governance meeting as the
default meeting."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from services import journal
from services.journal import demo
from services.practice import brief, checkups, governance
from ui.render.brief_pdf import write_pdf
from ui.render.charts import paint_health_radar, radar_points


def text_of(path) -> str:
    reader = PdfReader(str(path))
    return " ".join(" ".join(unicodedata.normalize("NFKC", p.extract_text() or "").split())
                    for p in reader.pages)


def test_radar_points_known_answer():
    up, right, left = radar_points(QPointF(100, 100), 50, [5, 5, 5])
    assert (up.x(), up.y()) == (100, 50)                       # the first axis straight up
    assert right.x() == pytest.approx(100 + 50 * 3 ** 0.5 / 2) and right.y() == pytest.approx(125)
    assert left.x() == pytest.approx(100 - 50 * 3 ** 0.5 / 2)
    half, none, _ = radar_points(QPointF(0, 0), 50, [2.5, None, 5])
    assert half.y() == pytest.approx(-25) and (none.x(), none.y()) == (0, 0)


def test_radar_paints_my_view_filled(qapp):
    image = QImage(400, 320, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    mine = paint_health_radar(painter, QRectF(0, 0, 400, 320), (5, 5, 5), (2, None, 4),
                              title="Health")
    painter.end()
    centroid = QPointF(sum(p.x() for p in mine) / 3, sum(p.y() for p in mine) / 3)
    assert image.pixelColor(centroid.toPoint()).name() != "#ffffff"       # filled
    corner = image.pixelColor(5, 300)
    assert corner.name() == "#ffffff"


@pytest.fixture
def acme(session):
    p = journal.create_partner(session=session, partner_in={"name": "Acme"})
    return p


def test_the_next_governance_meeting_is_the_default_meeting(session, acme):
    due = date.today() + timedelta(days=9)
    governance.add_cadence(session=session, cadence_in={
        "partner_id": acme.id, "kind": "qbr", "every_days": 90, "next_due": due})
    data = brief.build_brief(session=session, options=brief.BriefOptions(partner_id=acme.id))
    assert data.options.meeting_date == due
    assert data.options.purpose == f"Prepare for the QBR on {due}"
    given = brief.build_brief(session=session, options=brief.BriefOptions(
        partner_id=acme.id, meeting_date=date(2027, 1, 5), purpose="Pricing"))
    assert (given.options.meeting_date, given.options.purpose) == (date(2027, 1, 5), "Pricing")


def test_no_governance_leaves_the_meeting_unset(session, acme):
    data = brief.build_brief(session=session, options=brief.BriefOptions(partner_id=acme.id))
    assert data.options.meeting_date is None and data.options.purpose == ""
    assert data.health == [] and data.governance is None


def test_the_sample_brief_shows_radar_room_and_overdue_qbr(qapp, session, tmp_path):
    demo.load_sample(session=session)
    north = journal.resolve_partner(session=session, name="Northwind")
    data = brief.build_brief(session=session, options=brief.BriefOptions(partner_id=north.id))
    assert data.options.purpose.startswith("Prepare for the QBR, due ")
    assert "days overdue" in data.options.purpose and data.options.meeting_date is None
    assert [checkups.ours(c) for c in data.health][-1] == (4, 3, 3)
    dana = next(p for p in data.people if p.name == "Dana Whitfield")
    assert dana.since.startswith(f"Last seen {dana.last_contact} (")
    assert all(p.since for p in data.people)
    text = text_of(write_pdf(data, tmp_path / "north.pdf"))
    for expected in ("Health check of", "theirs 2", "My view", "Theirs, as I read it",
                     "Since we last spoke:", "Stage: run", "QBR overdue by"):
        assert expected in text, expected
