"""Importing order files for the import wizard: the saved column mappings, and the import run in a child process."""
from __future__ import annotations

from pathlib import Path

from ..kernel.events import EventHub
from ..imports import ImportProfile, ImportReport, Table
from ..imports.background import ImportProcess, start_import
from ..imports.profiles import FIELDS, all_profile_names, load_profile, normalise_header, save_profile
from ..imports.session import PREVIEW_ROWS, CheckSession, CheckSummary, TableHead
from ..store import Database
from ..store.shop_clock import shop_zone_name

__all__ = ["ImportService", "ImportProfile", "ImportReport", "ImportProcess", "Table", "FIELDS", "normalise_header",
           "PREVIEW_ROWS", "CheckSession", "CheckSummary", "TableHead"]


class ImportService:
    """The wizard checks a file in its own child process (imports.session.CheckSession, no store needed); saving
    goes through here: a child process of its own that opens the store by its path, so the window never waits."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def profile_names(self) -> list[str]:
        """The built-in mappings, then the ones the shop saved."""
        return all_profile_names(self.db)

    def load_profile(self, name: str) -> ImportProfile:
        """A saved or built-in mapping by name; KeyError when there is none."""
        return load_profile(self.db, name)

    def in_shop_zone(self, profile: ImportProfile) -> ImportProfile:
        """The mapping as a check reads it: times written without an offset are in the shop's zone."""
        return profile.in_zone(shop_zone_name(self.db.reader()))

    def save_profile(self, profile: ImportProfile) -> None:
        save_profile(self.db, profile)

    def start(self, file_path: str | Path, profile: ImportProfile | None,
              fixes: dict[tuple[int, int], str] | None = None) -> ImportProcess:
        """Save the file's orders (with the user's cell fixes) in a child process; poll its `messages()`."""
        return start_import(self.db.path, file_path, profile, fixes)

    def imported(self, report: ImportReport) -> None:
        """Tell the other windows once an import has saved: they reload (many orders, so no ids)."""
        if self.hub is not None and (report.imported or report.updated):
            self.hub.publish("orders.changed", ids=None)
