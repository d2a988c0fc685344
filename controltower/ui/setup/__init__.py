"""Setting the shop up: the setup assistant, the Settings window with the same pages, and the areas' empty states."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from .empty_states import EmptyState, EmptyStates
from .settings_window import SettingsWindow
from .wizard import SetupWizard

__all__ = ["EmptyState", "EmptyStates", "SettingsWindow", "SetupWizard", "open_setup_assistant", "open_settings",
           "install"]


def open_setup_assistant(window: QWidget, core) -> SetupWizard:
    wizard = SetupWizard(core, window)
    wizard.open()
    return wizard


def open_settings(window: QWidget, core, page: str = "shop") -> SettingsWindow:
    dialog = SettingsWindow(core, window, page=page)
    dialog.open()
    return dialog


def install(areas) -> EmptyStates:
    """The areas' empty states; on the first start of a real store nobody has set up, the setup assistant opens."""
    window, core = areas.window, areas.context.core
    states = EmptyStates(areas, lambda page: open_settings(window, core, page))
    if not core.demo and core.setup.needs_setup():
        def offer() -> None:
            areas.setup_wizard = open_setup_assistant(window, core)
            areas.setup_wizard.finished.connect(lambda _result: states.refresh())
        QTimer.singleShot(0, offer)
    return states
