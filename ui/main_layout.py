"""The main window's layout: partners on the left; timeline, stakeholders, commitments and
health in the middle (or the portfolio home); the entry editor and the advisor on the right.
The behaviour lives in ui/main_window.py; this builds the widgets and wires their signals."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.advisor_panel import AdvisorPanel
from ui.commitments_panel import CommitmentsPanel
from ui.empty_state import EmptyState
from ui.entry_editor import EntryEditor
from ui.lock import LockScreen
from ui.message_bar import MessageBar
from ui.partner_health import PartnerHealth
from ui.partner_list import PartnerListModel, PartnerListView
from ui.portfolio_view import PortfolioView
from ui.stakeholders import StakeholdersPanel
from ui.sync_dialog import open_sync_dialog
from ui.sync_scheduler import SyncScheduler
from ui.sync_status import SyncStatus
from ui.timeline import TimelinePage


def build_window(self) -> None:
    """Lay out the main window `self` and keep its parts on it (tests and menus use them)."""
    self.partner_model = PartnerListModel(self)
    self.partner_view = PartnerListView()
    self.partner_view.setModel(self.partner_model)
    self.partner_view.selectionModel().currentChanged.connect(self._partner_chosen)
    new_partner = QPushButton("New partner…")
    new_partner.clicked.connect(self.new_partner)
    self.portfolio_button = QPushButton("Portfolio")
    self.portfolio_button.setToolTip("Every partner at a glance, with drift alerts")
    self.portfolio_button.clicked.connect(self.show_portfolio)
    left = QWidget()
    left_layout = QVBoxLayout(left)
    left_layout.addWidget(self.portfolio_button)
    left_layout.addWidget(QLabel("<b>Partners</b>"))
    left_layout.addWidget(self.partner_view)
    left_layout.addWidget(new_partner)

    self.timeline_page = TimelinePage(self.ctx)
    self.timeline_page.entry_chosen.connect(lambda ident: self.open_entry(self.partner_id,
                                                                         ident))
    self.timeline_page.new_entry.connect(self.new_entry)
    self.timeline = self.timeline_page.model
    self.timeline_view = self.timeline_page.view
    self.kind_filter = self.timeline_page.kind_filter

    self.stakeholders = StakeholdersPanel(self.ctx)
    self.commitments = CommitmentsPanel(self.ctx)
    self.tabs = QTabWidget()
    self.tabs.addTab(self.timeline_page, "Timeline")
    self.tabs.addTab(self.stakeholders, "Stakeholders")
    self.tabs.addTab(self.commitments, "Commitments")
    self.health = PartnerHealth(self.ctx)
    self.health.open_entry.connect(lambda ident: self.open_entry(self.partner_id, ident))
    self.tabs.addTab(self.health, "Health")
    self.portfolio = PortfolioView()
    self.portfolio.open_partner.connect(self.select_partner)
    self.portfolio.open_entry.connect(self.open_entry)

    self.empty = EmptyState()
    self.empty.add_partner.connect(self.new_partner)
    self.empty.load_sample.connect(self.load_sample)
    self.sample_button = self.empty.sample_button
    self.middle = QStackedWidget()
    self.middle.addWidget(self.empty)
    self.middle.addWidget(self.tabs)
    self.middle.addWidget(self.portfolio)

    self.editor = EntryEditor(self.ctx)
    self.editor.saved.connect(self._entry_saved)
    self.editor.restore.connect(self.restore_draft)
    self.editor.deleted.connect(self._entry_saved)
    self.advisor = AdvisorPanel(self.ctx)
    self.advisor.open_entry.connect(lambda ident: self.open_entry(self.partner_id, ident))
    self.advisor.status.connect(lambda text: self.statusBar().showMessage(text))
    self.editor.opened.connect(self.advisor.set_interaction)
    self.editor.saved.connect(self.advisor.set_interaction)
    self.stakeholders.loaded.connect(self.advisor.set_people)
    self.right = QTabWidget()
    self.right.addTab(self.editor, "Entry")
    self.right.addTab(self.advisor, "Advisor")
    self.splitter = QSplitter()
    self.splitter.setHandleWidth(theme.SPLITTER_HANDLE)
    for w, least in ((left, 150), (self.middle, 260), (self.right, 300)):
        w.setMinimumWidth(least)  # fits a small laptop screen; panes scroll inside
        self.splitter.addWidget(w)
    self.splitter.setStretchFactor(1, 3)
    self.splitter.setStretchFactor(2, 2)
    self.splitter.setSizes([220, 560, 480])

    self.message = MessageBar()
    content = QWidget()
    cl = QVBoxLayout(content)
    cl.setContentsMargins(4, 4, 4, 4)
    cl.addWidget(self.message)
    cl.addWidget(self.splitter)
    self.lock_screen = LockScreen(self.ctx)
    self.lock_screen.unlocked.connect(self.after_unlock)
    self.pages = QStackedWidget()
    self.pages.addWidget(content)
    self.pages.addWidget(self.lock_screen)
    self.setCentralWidget(self.pages)
    self.statusBar().showMessage("Ready")
    self.sync = SyncScheduler(self.ctx, self)   # issue 24: rounds after saves and on a timer
    self.lock_screen.unlocked.connect(self.sync.start)
    self.sync_status = SyncStatus(self.sync)
    self.sync_status.open_sync.connect(lambda: open_sync_dialog(self))
    self.statusBar().addPermanentWidget(self.sync_status)
