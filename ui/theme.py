"""Light, dark or the system's colour scheme: one palette and one style sheet for the app.

Every colour the app sets comes from here: `colour(role)` for what is painted (overdue red,
settled grey, chart lines), and resources/confidant.qss, filled with the same colours, for
what is styled by object name (the message line, the private reflection, error text).
"""

from __future__ import annotations

from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from services.paths import resource

SCHEMES = ("system", "light", "dark")
SPLITTER_HANDLE = 7  # pixels: easy to grab, still quiet

# role: (light, dark)
COLOURS = {
    "overdue": ("#c62828", "#ff8a80"),
    "settled": ("#6d6d6d", "#a0a0a0"),
    "inactive": ("#8a8a8a", "#8f8f8f"),
    "private": ("#8a5300", "#ffcc80"),
    "private_tint": ("#fff6dc", "#3a3222"),
    "error_text": ("#b71c1c", "#ff8a80"),
    "message_bg": ("#fdecea", "#4a2323"),
    "message_text": ("#7f0000", "#ffdad6"),
    "highlight_mark": ("#ffe082", "#7a5c00"),
    "trend_up": ("#2e7d32", "#81c784"),
    "trend_flat": ("#757575", "#a0a0a0"),
    "trend_down": ("#c62828", "#ff8a80"),
    "handle": ("#c9ced6", "#5a5f66"),
    "card_trust": ("#1565c0", "#82b1ff"),
    "card_politics": ("#6a1b9a", "#ce93d8"),
    "card_strategy": ("#2e7d32", "#81c784"),
    "card_other": ("#546e7a", "#90a4ae"),
}
STANCES = {  # the map's dots and labels
    "champion": ("#2e7d32", "#81c784"), "supporter": ("#689f38", "#aed581"),
    "neutral": ("#757575", "#bdbdbd"), "skeptic": ("#b28704", "#ffd54f"),
    "blocker": ("#c62828", "#ff8a80"),
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def colour(role: str, palette: QPalette | None = None) -> QColor:
    light, dark = COLOURS[role]
    return QColor(dark if is_dark(palette) else light)


def stance_colour(stance: str, palette: QPalette | None = None) -> QColor:
    light, dark = STANCES[stance]
    return QColor(dark if is_dark(palette) else light)


def dark_palette() -> QPalette:
    """A dark palette where inputs (Base) stand out from the window, so unticked checkbox
    and field outlines stay visible."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#26282b", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#34373b", QPalette.ColorRole.AlternateBase: "#2d3034",
        QPalette.ColorRole.Text: "#ececec", QPalette.ColorRole.Button: "#3a3d42",
        QPalette.ColorRole.ButtonText: "#ececec", QPalette.ColorRole.ToolTipBase: "#3a3d42",
        QPalette.ColorRole.ToolTipText: "#ececec", QPalette.ColorRole.PlaceholderText: "#9a9a9a",
        QPalette.ColorRole.Highlight: "#3d7bd9", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8", QPalette.ColorRole.LinkVisited: "#c58af9",
        QPalette.ColorRole.Light: "#55595f", QPalette.ColorRole.Midlight: "#474b50",
        QPalette.ColorRole.Mid: "#6b7077", QPalette.ColorRole.Dark: "#1b1c1e",
        QPalette.ColorRole.Shadow: "#101112", QPalette.ColorRole.BrightText: "#ff8a80",
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d7d7d"))
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
