"""The setup assistant: the shop's first start walks through the setup pages; Next saves each page as it goes."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget, QWizard

from .pages import PAGES, SetupPage


class SetupWizard(QWizard):
    """Shop, hours, depot, vans and drivers, carriers and shop connections, senders, zones; each page saves on Next."""

    def __init__(self, core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up Control Tower")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.pages: dict[str, SetupPage] = {}
        for page_class in PAGES:
            page = page_class(core)
            self.pages[page.key] = page
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Start using Control Tower")
        self.resize(860, 640)
