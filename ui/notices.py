"""The change notices: one signal that says what a committed write changed, one that says which
partner the user is looking at. Views subscribe in their own constructors and decide for
themselves what to redraw; no view refreshes another by name, and adding a view touches no
window's code (as Anki's `operation_did_execute` and Vorta's app-level signals).

`ctx.db(..., write=True)` announces what the use case changed (services.changes collects it
from the session) after its commit, on the UI thread. The window announces what is not a row:
the vault locked or unlocked ("vault") and the colour scheme ("theme").
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from services.changes import Changes

# kinds of rows whose change a partner's overview (cues, portfolio row) may show
OVERVIEW = ("partner", "interaction", "commitment", "trust_reading", "stakeholder",
            "stance_change", "health_check", "governance_cadence", "setting")


def affects(ctx, changes: Changes, partner_id: int | None, kinds: tuple[str, ...]) -> bool | None:
    """What a notice means for a view showing `partner_id` from rows of `kinds`: None, the
    vault is locked (drop what you show); True, redraw; False, nothing of yours changed."""
    if ctx.vault is None or ctx.vault.is_locked:
        return None
    return (partner_id is not None and changes.touches(*kinds, "vault")
            and changes.about(partner_id))


class Notices(QObject):
    changed = Signal(object)          # Changes
    partner_chosen = Signal(object, str)  # partner id (None: none chosen), its name

    def announce(self, changes: Changes) -> None:
        if changes:
            self.changed.emit(changes)

    def announce_kind(self, kind: str, initiator=None) -> None:
        """A change that is not a row ('vault', 'theme'): every view may be concerned."""
        self.changed.emit(Changes.of(kind, initiator=initiator))
