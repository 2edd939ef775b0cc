"""Light, dark or the system's colour scheme: one palette and one style sheet for the app.

Every colour the app sets comes from here: `colour(role)` for what is painted (overdue red,
settled grey, chart lines), and resources/confidant.qss, filled with the same colours, for
what is styled by object name (the message line, the private reflection, error text).
"""

from __future__ import annotations

import tomllib
from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from services.paths import resource

SCHEMES = ("system", "light", "dark")
SPLITTER_HANDLE = 7  # pixels: easy to grab, still quiet

_TABLE = tomllib.loads(resource("theme.toml").read_text(encoding="utf-8"))
COLOURS: dict[str, list[str]] = _TABLE["colours"]   # role: [light, dark]
STANCES: dict[str, list[str]] = _TABLE["stances"]   # the map's dots and labels
CHART: dict[str, list[str]] = _TABLE["chart"]       # trend components, radar sides
PAPER: dict[str, str] = _TABLE["paper"]             # the brief: always light
KINDS: dict[str, list[str]] = _TABLE["kinds"]       # an entry kind's badge: letter, colour


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def colour(role: str, palette: QPalette | None = None) -> QColor:
    light, dark = COLOURS[role]
    return QColor(dark if is_dark(palette) else light)


def stance_colour(stance: str, palette: QPalette | None = None) -> QColor:
    light, dark = STANCES[stance]
    return QColor(dark if is_dark(palette) else light)


def chart_colour(role: str, palette: QPalette | None = None) -> QColor:
    light, dark = CHART[role]
    return QColor(dark if is_dark(palette) else light)


def paper(role: str) -> QColor:
    return QColor(PAPER[role])


def dark_palette() -> QPalette:
    """A dark palette where inputs (Base) stand out from the window, so unticked checkbox
    and field outlines stay visible."""
    p = QPalette()
    colours = dict(_TABLE["dark_palette"])
    disabled = QColor(colours.pop("Disabled"))
    for role, value in colours.items():
        p.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def light_palette() -> QPalette:
    from PySide6.QtWidgets import QApplication

    return QApplication.style().standardPalette()


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def style_sheet(dark: bool) -> str:
    values = {role: pair[1 if dark else 0] for role, pair in COLOURS.items()}
    values["handle_width"] = str(SPLITTER_HANDLE)
    return Template(resource("confidant.qss").read_text(encoding="utf-8")).substitute(values)


class Theme:
    """Applies a scheme to the application and follows the system's while it is 'system'."""

    def __init__(self, app):
        self.app = app
        self.scheme = "system"
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.scheme == "system" and
                                             self.apply("system"))

    def apply(self, scheme: str) -> bool:
        """Returns whether the result is dark."""
        self.scheme = scheme if scheme in SCHEMES else "system"
        dark = self.scheme == "dark" or (self.scheme == "system" and system_is_dark())
        self.app.setStyle("Fusion")
        self.app.setPalette(dark_palette() if dark else light_palette())
        self.app.setStyleSheet(style_sheet(dark))
        return dark


_theme: Theme | None = None


def apply(scheme: str) -> bool:
    """Apply `scheme` to the running application (one Theme per application)."""
    global _theme
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if _theme is None or _theme.app is not app:
        _theme = Theme(app)
    return _theme.apply(scheme)


def mark_error(label, error: bool) -> None:
    """Show a label's text as an error (the style sheet's QLabel[error="true"]) or plainly."""
    label.setProperty("error", error)
    label.style().unpolish(label)
    label.style().polish(label)
