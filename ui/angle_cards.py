"""The playbook's angles as cards: the few that answer the question, then "N more angles…"
opening the rest. Each card: the title, why (with its [#id]s), the journal's own words quoted,
and the first step; a citation opens its entry."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget


class AngleCard(QFrame):
    cite_clicked = Signal(int)

    def __init__(self, angle, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("category", angle.category)  # its colour: resources/confidant.qss
        cites = " ".join(f'<a href="entry:{i}">[#{i}]</a>' for i in angle.cites)
        quoted = "".join(
            f'<br>“{html.escape(q["text"])}” <a href="entry:{q["interaction_id"]}">'
            f'[#{q["interaction_id"]}]</a>{" <i>(private)</i>" if q["private"] else ""}'
            for q in getattr(angle, "quotes", []))
        label = QLabel(f"<b>{html.escape(angle.title)}</b><br>{html.escape(angle.why)} {cites}"
                       f"{quoted}<br><i>First step:</i> {html.escape(angle.first_step)}")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.linkActivated.connect(lambda link: self.cite_clicked.emit(int(link.split(":")[1])))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(label)
        self.label, self.angle = label, angle



class AngleCards(QScrollArea):
    cite_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        inner = QWidget()
        self.layout_ = QVBoxLayout(inner)
        self.more_button = QPushButton()
        self.more_button.setCheckable(True)
        self.more_button.setFlat(True)
        self.more_button.setAccessibleName("The other angles")
        self.more_button.toggled.connect(self._show_more)
        self.more_button.hide()
        self.layout_.addWidget(self.more_button)
        self.layout_.addStretch()
        self.setWidget(inner)

    def cards(self) -> list[AngleCard]:
        return [self.layout_.itemAt(i).widget() for i in range(self.layout_.count())
                if isinstance(self.layout_.itemAt(i).widget(), AngleCard)]

    def clear(self) -> None:
        for card in self.cards():
            self.layout_.removeWidget(card)
            card.deleteLater()
        self.more_button.hide()

    def show_angles(self, angles) -> None:
        """The leading angles as cards, then 'N more angles' opening the rest."""
        self.clear()
        leading = [a for a in angles if a.leads] or angles
        rest = [a for a in angles if not any(a is x for x in leading)]
        for angle in leading:
            self._add(angle, before=self.more_button)
        for angle in rest:
            self._add(angle).setVisible(False)
        self.more_button.setVisible(bool(rest))
        self.more_button.setChecked(False)
        self._more_label(len(rest))

    def _more_label(self, count: int) -> None:
        self.more_button.setText(f"Hide the other {count} angle{'s' if count > 1 else ''}"
                                 if self.more_button.isChecked() else
                                 f"{count} more angle{'s' if count > 1 else ''}…")

    def _show_more(self, shown: bool) -> None:
        rest = [c for c in self.cards() if not c.angle.leads]
        for card in rest:
            card.setVisible(shown)
        self._more_label(len(rest))

    def _add(self, angle, before: QWidget | None = None) -> AngleCard:
        card = AngleCard(angle)
        card.cite_clicked.connect(self.cite_clicked)
        at = self.layout_.indexOf(before) if before is not None else self.layout_.count() - 1
        self.layout_.insertWidget(at, card)
        return card
