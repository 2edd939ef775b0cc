"""The partners list: name, alliance kind and a health cue (trust trend, overdue promises)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate

from models.tables import Partner
from services.practice.health import PartnerCue
from ui import theme

PartnerRole = Qt.ItemDataRole.UserRole + 1
CueRole = Qt.ItemDataRole.UserRole + 2
TREND_ARROWS = {1: "▲", 0: "▬", -1: "▼"}
TREND_COLOURS = {1: "trend_up", 0: "trend_flat", -1: "trend_down"}  # roles in ui.theme


class PartnerListModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.partners: list[Partner] = []
        self.cues: dict[int, PartnerCue] = {}

    def set_partners(self, partners: list[Partner], cues: dict[int, PartnerCue]) -> None:
        self.beginResetModel()
        self.partners, self.cues = partners, cues
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.partners)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        partner = self.partners[index.row()]
        cue = self.cues.get(partner.id) or PartnerCue(partner.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return partner.name
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [f"{partner.name} — {partner.kind}"]
            if cue.trust_index is not None:
                parts.append(f"Trust index {cue.trust_index:.2f} ({'rising' if cue.trend > 0 else 'falling' if cue.trend < 0 else 'steady'})")
            if cue.overdue:
                parts.append(f"{cue.overdue} overdue commitment(s)")
            return "\n".join(parts)
        if role == PartnerRole:
            return partner
        if role == CueRole:
            return cue
        return None

    def row_of(self, partner_id: int) -> int:
        for row, partner in enumerate(self.partners):
            if partner.id == partner_id:
                return row
        return -1


class PartnerDelegate(QStyledItemDelegate):
    """Two lines: the name with its cue on the right, the alliance kind below, muted."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(200, option.fontMetrics.height() * 2 + 16)  # two whole lines, descenders in

    def paint(self, painter, option, index) -> None:
        partner, cue = index.data(PartnerRole), index.data(CueRole)
        self.initStyleOption(option, index)
        option.text = ""
        option.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter,
                                          option.widget)
        selected = option.state & QStyle.StateFlag.State_Selected
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = option.rect.adjusted(8, 4, -8, -4)
        line = option.fontMetrics.height()
        painter.save()
        font = option.font
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(option.palette.color(role))
        name_rect = rect.adjusted(0, 0, 0, -(rect.height() - line - 1))
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         option.fontMetrics.elidedText(partner.name, Qt.TextElideMode.ElideRight,
                                                       name_rect.width()))
        font.setBold(False)
        painter.setFont(font)
        second = rect.adjusted(0, line + 3, 0, 0)
        second.setHeight(line + 2)
        cue_text = TREND_ARROWS[cue.trend] if cue.trust_index is not None else ""
        overdue = f"{cue.overdue} overdue" if cue.overdue else ""
        cue_width = option.fontMetrics.horizontalAdvance(f"{cue_text}  {overdue}") + 8
        if overdue:
            painter.setPen(theme.colour("overdue", option.palette))
            painter.drawText(second, Qt.AlignmentFlag.AlignRight, overdue)
        if cue_text:
            painter.setPen(theme.colour(TREND_COLOURS[cue.trend], option.palette))
            arrow_right = option.fontMetrics.horizontalAdvance(overdue + "  ") if overdue else 0
            painter.drawText(second.adjusted(0, 0, -arrow_right, 0), Qt.AlignmentFlag.AlignRight,
                             cue_text)
        muted = option.palette.color(role)
        muted.setAlpha(150)
        painter.setPen(muted)
        kind_rect = second.adjusted(0, 0, -cue_width, 0)
        painter.drawText(kind_rect, Qt.AlignmentFlag.AlignLeft, option.fontMetrics.elidedText(
            partner.kind, Qt.TextElideMode.ElideRight, kind_rect.width()))
        painter.restore()


class PartnerListView(QListView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setItemDelegate(PartnerDelegate(self))
        self.setUniformItemSizes(True)
        self.setAccessibleName("Partners")
