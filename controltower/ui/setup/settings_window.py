"""One Settings window: the setup assistant's pages in a list, each saved with Save."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QStackedWidget, QVBoxLayout,
                               QWidget)

from .pages import PAGES, SetupPage


class SettingsWindow(QDialog):
    """Every setting the assistant asked, editable later; Save writes every page and stops at the first mistake."""

    def __init__(self, core, parent: QWidget | None = None, *, page: str = "shop") -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.pages: dict[str, SetupPage] = {}
        self.page_list = QListWidget()
        self.stack = QStackedWidget()
        from ..settings.local_api import LocalApiPage
        from ..settings.ratings import RatingsPage
        from ..settings.travel import TravelTimesPage
        from ..settings.webhooks import WebhooksPage

        # The assistant's pages, then those only Settings has (a new shop needs none of them on day one).
        for page_class in (*PAGES, TravelTimesPage, RatingsPage, LocalApiPage, WebhooksPage):
            widget = page_class(core)
            if hasattr(widget, "initializePage"):
                widget.initializePage()
            self.pages[widget.key] = widget
            self.page_list.addItem(widget.title_text)
            self.stack.addWidget(widget)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setFixedWidth(220)
        self.status = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.show_page(page)
        self.resize(1000, 640)

    def show_page(self, key: str) -> SetupPage:
        page = self.pages[key]
        self.page_list.setCurrentRow(self.stack.indexOf(page))
        return page

    def save(self) -> bool:
        for page in self.pages.values():
            if not page.commit():
                self.show_page(page.key)
                self.status.setText(f"Not saved: see {page.title_text}.")
                return False
        self.status.setText("Saved.")
        return True
