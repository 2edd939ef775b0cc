"""Draw the brief (services/practice/brief.py's BriefData) with Qt: a cover and 'where we stand' with the
vector trend chart on page 1, the rest flowed by QTextDocument; page numbers and the date in
every footer. The same drawing goes to a PDF (fonts embedded, text selectable) or to images for
the preview."""

from __future__ import annotations

import html
import os
from pathlib import Path
from string import Template

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from services import files
from services.errors import InvalidInput
from services.files import file_error
from services.practice.brief import SECTION_TITLES, BriefData
from ui import theme
from ui.render.charts import paint_health_radar, paint_trust_chart

DPI = 96
MARGIN = 48          # px at 96 dpi: half an inch
FOOTER = 28
PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
STYLE = Template("""
body { font-size: 10pt; color: $text; }
h2 { font-size: 13pt; color: $heading; margin-top: 14px; margin-bottom: 4px; }
table { border-collapse: collapse; }
td, th { padding: 3px 6px; border-bottom: 1px solid $rule; vertical-align: top; }
th { text-align: left; background: $header; white-space: nowrap; }
.muted { color: $muted; }
.overdue { color: $alert; font-weight: bold; }
.private { background: $private_bg; color: $private_text; }
.confidential { color: $alert; font-weight: bold; }
""").substitute(theme.PAPER)  # paper colours: resources/theme.toml


def page_pixels(page_size: str) -> QSizeF:
    size = QPageSize(PAGE_SIZES.get(page_size, QPageSize.PageSizeId.A4)).sizePoints()
    return QSizeF(size.width() * DPI / 72, size.height() * DPI / 72)


def _e(text) -> str:
    return html.escape(str(text or ""))


def _pct(value) -> str:
    return "no promise settled yet" if value is None else f"{value:.0%} kept"


# --- the flowing part ----------------------------------------------------------------------------
def body_html(b: BriefData) -> str:
    out = []
    if b.wants("room"):
        out.append(f"<h2>{SECTION_TITLES['room']}</h2>")
        if b.people:
            out.append("<table width='100%'><tr><th width='36%'>Person</th>"
                       "<th width='21%'>Role</th><th width='11%'>Influence</th>"
                       "<th width='15%'>Stance</th><th width='17%'>Last contact</th></tr>")
            for p in b.people:
                side = " (ours)" if p.side == "internal" else ""
                left = "" if p.active else " <span class='muted'>(left)</span>"
                out.append(f"<tr><td><b>{_e(p.name)}</b>{side}{left}<br>"
                           f"<span class='muted'>{_e(p.last_line)}</span>"
                           + (f"<br><i>Since we last spoke:</i> {_e(p.since)}" if p.since
                              else "") + "</td>"
                           f"<td>{_e(p.role)}</td><td>{'★' * p.influence}</td>"
                           f"<td style='white-space:nowrap'>{_e(p.stance)}</td>"
                           f"<td style='white-space:nowrap'>{p.last_contact or '—'}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p class='muted'>No stakeholders recorded yet.</p>")
    if b.wants("recent"):
        out.append(f"<h2>{SECTION_TITLES['recent']}</h2>")
        if not b.entries:
            out.append("<p class='muted'>No interactions recorded yet.</p>")
        for e in b.entries:
            out.append(f"<p><b>{e.when:%Y-%m-%d}</b> · {_e(e.kind)} · <b>{_e(e.title)}</b>"
                       f"{' · difficulty ' + str(e.difficulty) + '/5' if e.difficulty else ''}"
                       f"<br>{_e(e.notes)}</p>")
            if e.reflection:
                out.append(f"<p class='private'><i>Private reflection:</i> "
                           f"{_e(e.reflection)}</p>")
    if b.wants("commitments"):
        out.append(f"<h2>{SECTION_TITLES['commitments']}</h2>")
        for side, title in (("us", "Ours"), ("them", "Theirs")):
            rows = [c for c in b.promises if c.owed_by == side]
            out.append(f"<p><b>{title}</b></p>")
            if not rows:
                out.append("<p class='muted'>None open.</p>")
                continue
            out.append("<table width='100%'><tr><th>Promise</th><th>Due</th></tr>")
            for c in rows:
                due = (f"<span class='overdue'>{c.due} — overdue {c.overdue_days} d</span>"
                       if c.overdue_days else (str(c.due) if c.due else "—"))
                out.append(f"<tr><td>{_e(c.text)}</td><td>{due}</td></tr>")
            out.append("</table>")
    if b.wants("angles"):
        out.append(f"<h2>{SECTION_TITLES['angles']}</h2>")
        if not b.angles:
            out.append("<p class='muted'>The playbook raises no alarm for this partner.</p>")
        for n, a in enumerate(b.angles, 1):
            cites = " ".join(f"[#{i}]" for i in a.cites)
            quoted = "".join(  # the journal's words; a private reflection only if included
                f"<br>“{_e(q['text'])}” <span class='muted'>[#{q['interaction_id']}]</span>"
                for q in getattr(a, "quotes", [])
                if not q["private"] or b.options.include_reflections)
            out.append(f"<p><b>{n}. {_e(a.title)}</b><br>{_e(a.why)} "
                       f"<span class='muted'>{cites}</span>{quoted}<br><i>First step:</i> "
                       f"{_e(a.first_step)}</p>")
        if b.advice:
            text = _e(b.advice).replace("\n\n", "</p><p>").replace("\n", "<br>")
            saved = f" on {b.advice_saved:%Y-%m-%d %H:%M}" if b.advice_saved else ""
            stopped = ("; stopped before it finished, so only its complete sentences"
                       if b.advice_stopped else "")
            out.append(f"<p><b>Latest saved advice</b> <span class='muted'>(written by "
                       f"{_e(b.advice_model)}{saved}{stopped}; only sentences that passed the "
                       f"grounding check)</span></p><p>{text}</p>")
    return "".join(out)


# --- page 1 --------------------------------------------------------------------------------------
def cover_html(b: BriefData) -> str:
    o = b.options
    when = o.meeting_date.strftime("%A %d %B %Y") if o.meeting_date else "date to be set"
    out = ["<p class='confidential'>CONFIDENTIAL</p>"
           f"<p style='font-size:20pt; font-weight:bold; margin:0'>{_e(b.partner)}</p>"
           f"<p style='font-size:12pt; margin-top:2px'>Meeting brief · {_e(when)}</p>"]
    if o.purpose:
        out.append(f"<p><b>Purpose:</b> {_e(o.purpose)}</p>")
    out.append(f"<p class='muted'>{_e(b.partner_kind)}"
               f"{' · prepared by ' + _e(o.prepared_by) if o.prepared_by else ''}"
               f" · {b.generated:%Y-%m-%d %H:%M}</p>")
    if b.summary:
        out.append(f"<p>{_e(b.summary)}</p>")
    if b.wants("standing"):
        out.append(f"<h2>{SECTION_TITLES['standing']}</h2>")
        if b.trust_index is None:
            out.append("<p>No trust reading yet.</p>")
        else:
            change = "" if b.trust_change is None else (
                f" ({'up' if b.trust_change > 0 else 'down'} {abs(b.trust_change):.2f} since "
                "the previous reading)")
            out.append(f"<p>Trust index <b>{b.trust_index:.2f}</b>{change}.</p>")
        out.append(f"<p>Our reliability: {_pct(b.ours.rate)}, {b.ours.overdue} overdue. "
                   f"Theirs: {_pct(b.theirs.rate)}, {b.theirs.overdue} overdue.</p>")
        out.append(practice_html(b))
        if b.alerts:
            out.append("<p><b>Open alerts</b></p><ul>" + "".join(
                f"<li>{_e(a.text)}</li>" for a in b.alerts) + "</ul>")
    return "".join(out)


def _layout_device() -> QImage:
    """A 96-dpi device to lay text out on, so the PDF and the preview break pages alike
    whatever the screen's DPI."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDotsPerMeterX(round(DPI / 0.0254))
    image.setDotsPerMeterY(round(DPI / 0.0254))
    return image


def _document(html_text: str, width: float) -> QTextDocument:
    doc = QTextDocument()
    doc.device = _layout_device()  # kept alive as long as the document
    doc.documentLayout().setPaintDevice(doc.device)
    doc.setDefaultStyleSheet(STYLE)
    font = QFont()
    font.setPointSizeF(10)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(f"<html><body>{html_text}</body></html>")
    doc.setTextWidth(width)
    return doc


SPACER = "confidant:spacer"


def _spacer_html(pixels: float) -> str:
    return f"<p style='margin:0'><img src='{SPACER}' width='1' height='{int(pixels)}'></p>"


def _spacer_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    return image


def _keep_headings_with_next(doc: QTextDocument, page_height: float) -> None:
    """A section heading never ends a page (issue 20: 'Suggested angles' alone at the foot of
    page 3): one whose next line would fall on the next page starts that page instead."""
    layout = doc.documentLayout()
    block = doc.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() and following.isValid():
            top = layout.blockBoundingRect(block).top()
            nxt = layout.blockBoundingRect(following)
            first = following.layout().lineAt(0) if following.layout().lineCount() else None
            needed = nxt.top() + (first.rect().bottom() if first else nxt.height())
            page_end = (int(top // page_height) + 1) * page_height
            # a heading low on its page whose next line is over the page: it moves on too
            if top >= page_end - page_height / 2 and needed > page_end:
                cursor = QTextCursor(block)
                fmt = QTextBlockFormat()
                fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                cursor.mergeBlockFormat(fmt)  # the layout after it moves on
        block = block.next()


def _footer(painter: QPainter, page: QSizeF, b: BriefData, number: int, total: int) -> None:
    painter.save()
    font = QFont()
    font.setPointSizeF(8)
    painter.setFont(font)
    painter.setPen(theme.paper("muted"))
    rect = QRectF(MARGIN, page.height() - MARGIN + 8, page.width() - 2 * MARGIN, FOOTER)
    painter.drawText(rect, Qt.AlignmentFlag.AlignLeft,
                     f"Confidential · {b.partner} · {b.generated:%Y-%m-%d}")
    painter.drawText(rect, Qt.AlignmentFlag.AlignRight, f"Page {number} of {total}")
    painter.restore()


def paint_brief(b: BriefData, pages) -> int:
    """Draw every page; `pages` gives a painter for page n (1-based). Returns the page count."""
    size = page_pixels(b.options.page_size)
    width, height = size.width() - 2 * MARGIN, size.height() - 2 * MARGIN
    cover = _document(cover_html(b), width)
    chart_h = min(300.0, height - cover.size().height() - 12) if b.wants("standing") else 0
    top = cover.size().height() + (chart_h + 16 if chart_h > 120 else 8)
    # The body flows on under the cover and the chart: a spacer as tall as they are opens it,
    # so page 1 is full and every page still breaks between lines.
    body = _document(_spacer_html(top) + body_html(b), width)
    body.addResource(QTextDocument.ResourceType.ImageResource, QUrl(SPACER), _spacer_image())
    body.setPageSize(QSizeF(width, height))
    _keep_headings_with_next(body, height)
    has_body = bool(body.toPlainText().replace("\ufffc", "").strip())
    total = body.pageCount() if has_body else 1
    for n in range(total):
        painter = pages(n + 1)
        painter.save()
        painter.translate(MARGIN, MARGIN)
        if n == 0:
            cover.drawContents(painter)
            if chart_h > 120:
                paint_charts(painter, QRectF(0, cover.size().height() + 8, width, chart_h), b)
        if has_body:
            painter.translate(0, -n * height)
            body.drawContents(painter, QRectF(0, n * height + (top if n == 0 else 0), width,
                                              height - (top if n == 0 else 0)))
        painter.restore()
        _footer(painter, size, b, n + 1, total)
    return total


def write_pdf(b: BriefData, target: Path) -> Path:
    """The PDF, written beside the target and renamed into place (a failed export leaves no
    half file)."""
    target = files.check_target(Path(target))  # a regular file or a new path, never a device
    partial = target.with_name(target.name + ".partial")
    files.new_private_file(partial)  # 0600: a brief is plain text about partners
    writer = QPdfWriter(str(partial))
    writer.setResolution(DPI)
    writer.setTitle(f"{b.partner} — meeting brief")
    writer.setCreator("Confidant")
    writer.setPageLayout(QPageLayout(QPageSize(PAGE_SIZES.get(b.options.page_size,
                                                              QPageSize.PageSizeId.A4)),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):
        partial.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write {target}.")

    def pages(n: int) -> QPainter:
        if n > 1:
            writer.newPage()
        return painter

    try:
        paint_brief(b, pages)
    finally:
        painter.end()
    try:
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise OSError(f"{target} stopped being a regular file")
        os.replace(partial, target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise file_error(err, target) from err
    return target


def preview_images(b: BriefData, scale: float = 1.0) -> list[QImage]:
    """The same pages as images, for the export dialog's preview."""
    size = page_pixels(b.options.page_size)
    images: list[QImage] = []
    painters: list[QPainter] = []

    def pages(n: int) -> QPainter:
        if painters:
            painters[-1].end()
        image = QImage(int(size.width() * scale), int(size.height() * scale),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDotsPerMeterX(int(DPI * scale / 0.0254))
        image.setDotsPerMeterY(int(DPI * scale / 0.0254))
        image.fill(Qt.GlobalColor.white)
        images.append(image)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        painters.append(painter)
        return painter

    try:
        paint_brief(b, pages)
    finally:
        if painters and painters[-1].isActive():
            painters[-1].end()
    return images


# --- alliance practice (issue 14) ----------------------------------------------------------------
def practice_html(b: BriefData) -> str:
    """The stage, the next governance meeting and the health check (with its trend) as lines
    of 'where we stand'."""
    out = []
    if b.stage or b.governance:
        nxt = f" Next governance meeting: {_e(b.governance.text)}." if b.governance else ""
        out.append(f"<p>Stage: {_e(b.stage or 'not set')}.{nxt}</p>")
    if b.health:
        last = b.health[-1]
        axes = (("strategic", "strategic fit"), ("operational", "operations"),
                ("relational", "relationship"))
        scores = ", ".join(
            f"{label} {getattr(last, a)}" + (f" (theirs {getattr(last, 'their_' + a)})"
                                              if getattr(last, "their_" + a) else "")
            for a, label in axes)
        trend = ""
        if len(b.health) > 1:
            before = b.health[-2]
            trend = " Previous check " + f"{before.taken_on}: " + ", ".join(
                f"{label} {getattr(before, a)}" for a, label in axes) + "."
        out.append(f"<p>Health check of {last.taken_on}: {scores}.{trend}</p>")
    return "".join(out)


def paint_charts(painter: QPainter, rect: QRectF, b: BriefData) -> None:
    """The trust trend, and beside it the latest health check's radar when there is one."""
    if not b.health:
        paint_trust_chart(painter, rect, b.series, title="Trust trend")
        return
    split = rect.width() * 0.62
    paint_trust_chart(painter, QRectF(rect.left(), rect.top(), split - 8, rect.height()),
                      b.series, title="Trust trend")
    last = b.health[-1]
    paint_health_radar(painter, QRectF(rect.left() + split, rect.top(), rect.width() - split,
                                       rect.height()),
                       (last.strategic, last.operational, last.relational),
                       (last.their_strategic, last.their_operational, last.their_relational),
                       title=f"Health check {last.taken_on}")
