"""The import wizard: pick a file, choose or adjust the column mapping with a live preview, fix or export rejected rows, import in the background."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)

from ...errors import UserFacingError
from ...imports import ImportProfile, ImportReport, Prepared, Table, prepare, read_table, write_rejects
from ...imports.background import start_import
from ...imports.profiles import FIELDS, all_profile_names, guess_profile, load_profile, normalise_header, save_profile
from ..tasks import run_in_thread
from .preview import PreviewModel, RejectsModel

NOT_IMPORTED = "(not imported)"


class ImportWizard(QDialog):
    """Bring a day's orders in from a CSV or Excel file. `imported(report)` fires when an import has been saved."""

    imported = Signal(object)

    def __init__(self, parent, db, hub=None) -> None:
        super().__init__(parent)
        self.db, self.hub = db, hub
        self.table: Table | None = None
        self.profile: ImportProfile | None = None
        self.prepared: Prepared | None = None
        self.report: ImportReport | None = None
        self._generation = 0
        self._busy = False
        self._fixes: dict[tuple[int, int], str] = {}
        self._process = None
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._poll_import)
        self.setWindowTitle("Import orders")
        self.resize(1100, 720)
        self._build()
        self._refresh_buttons()

    # ----- layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        file_row = QHBoxLayout()
        self.path_edit = QLineEdit(readOnly=True, placeholderText="Choose a CSV or Excel file exported from your shop or spreadsheet")
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self._choose_file)
        file_row.addWidget(QLabel("File:"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        layout.addLayout(file_row)

        profile_row = QHBoxLayout()
        self.profile_combo = QComboBox()
        self.profile_combo.addItems(all_profile_names(self.db))
        self.profile_combo.currentTextChanged.connect(self._choose_profile)
        self.save_profile_button = QPushButton("Save mapping as…")
        self.save_profile_button.clicked.connect(self._save_profile)
        self.file_info = QLabel()
        self.file_info.setStyleSheet("color:#555")
        profile_row.addWidget(QLabel("Profile:"))
        profile_row.addWidget(self.profile_combo)
        profile_row.addWidget(self.save_profile_button)
        profile_row.addStretch(1)
        profile_row.addWidget(self.file_info)
        layout.addLayout(profile_row)

        splitter = QSplitter(Qt.Horizontal)
        mapping_box = QWidget()
        self.mapping_form = QFormLayout(mapping_box)
        self.mapping_combos: dict[str, QComboBox] = {}
        for name, label in FIELDS.items():
            combo = QComboBox()
            combo.setMinimumWidth(150)
            combo.currentTextChanged.connect(lambda text, field=name: self._map_field(field, text))
            self.mapping_combos[name] = combo
            self.mapping_form.addRow(label, combo)
        scroll = QScrollArea()
        scroll.setWidget(mapping_box)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(360)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        splitter.addWidget(scroll)

        self.tabs = QTabWidget()
        self.preview_model = PreviewModel(self)
        self.preview_view = QTableView()
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setWordWrap(False)
        self.preview_view.horizontalHeader().setDefaultSectionSize(120)
        self.rejects_model = RejectsModel(self._fix_cell, self)
        self.rejects_view = QTableView()
        self.rejects_view.setModel(self.rejects_model)
        header = self.rejects_view.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        header.resizeSection(0, 50)
        header.resizeSection(1, 130)
        header.resizeSection(3, 200)
        self.tabs.addTab(self.preview_view, "Preview")
        self.tabs.addTab(self.rejects_view, "Rejected rows")
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        self.summary = QLabel("No file chosen yet.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        bottom = QHBoxLayout()
        self.export_rejects_button = QPushButton("Export rejected rows…")
        self.export_rejects_button.clicked.connect(self._export_rejects)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self._close_or_cancel)
        bottom.addWidget(self.export_rejects_button)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)

    # ----- file and profile
    def _choose_file(self) -> None:
        dialog = QFileDialog(self, "Choose orders file", "", "Orders (*.csv *.txt *.tsv *.xlsx);;All files (*)")
        dialog.fileSelected.connect(self.load_file)
        dialog.open()  # never exec(): the UI loop keeps running

    def load_file(self, path: str | Path) -> None:
        """Read a file (small files read fast; checking runs in the background) and guess its profile."""
        try:
            table = read_table(path)
        except UserFacingError as exc:
            self.summary.setText(f"<b style='color:#b71c1c'>{exc.message}</b> {exc.advice}")
            return
        self.table, self.report = table, None
        self._fixes = {}
        self.path_edit.setText(str(path))
        separator = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(table.delimiter, "")
        self.file_info.setText(f"{len(table.rows):,} rows · {table.encoding}{' · ' + separator if separator else ''}")
        guessed = guess_profile(table.headers)
        if self.profile_combo.currentText() == guessed.name:
            self._choose_profile(guessed.name)
        else:
            self.profile_combo.setCurrentText(guessed.name)

    def _choose_profile(self, name: str) -> None:
        if not name:
            return
        try:
            self.profile = load_profile(self.db, name)
        except KeyError:
            return
        self._show_mapping()
        self.recheck()

    def _show_mapping(self) -> None:
        if self.table is None or self.profile is None:
            return
        resolved = self.profile.resolve(self.table.headers)
        for name, combo in self.mapping_combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([NOT_IMPORTED, *self.table.headers])
            if name in resolved:
                combo.setCurrentIndex(resolved[name][0] + 1)
            combo.blockSignals(False)

    def _map_field(self, field_name: str, header: str) -> None:
        if self.profile is None or self.table is None:
            return
        current = self.profile.resolve(self.table.headers).get(field_name)
        if header == NOT_IMPORTED:
            self.profile = self.profile.with_column(field_name, None)
        elif not current or normalise_header(self.table.headers[current[0]]) != normalise_header(header):
            self.profile = self.profile.with_column(field_name, header)
        self.recheck()

    def _save_profile(self) -> None:
        if self.profile is None:
            return
        name, ok = QInputDialog.getText(self, "Save mapping", "Name for this mapping:", text=f"{self.profile.name} (mine)")
        if ok and name.strip():
            self.save_profile_as(name.strip())

    def save_profile_as(self, name: str) -> None:
        from dataclasses import replace

        self.profile = replace(self.profile, name=name)
        save_profile(self.db, self.profile)
        if self.profile_combo.findText(name) < 0:
            self.profile_combo.blockSignals(True)
            self.profile_combo.addItem(name)
            self.profile_combo.setCurrentText(name)
            self.profile_combo.blockSignals(False)

    # ----- checking
    def recheck(self) -> None:
        """Check the file with the current mapping in the background; the newest request wins."""
        if self.table is None or self.profile is None:
            return
        self._generation += 1
        generation, table, profile = self._generation, self.table, self.profile
        self.summary.setText(f"Checking {len(table.rows):,} rows…")
        self._refresh_buttons()
        run_in_thread(lambda: prepare(table, profile),
                      lambda prepared: self._checked(generation, prepared),
                      lambda exc: self._failed(exc))

    def _checked(self, generation: int, prepared: Prepared) -> None:
        if generation != self._generation:
            return
        self.prepared = prepared
        self.preview_model.show(self.table, prepared)
        self.rejects_model.show(self.table, prepared)
        self.preview_view.resizeColumnToContents(0)
        self.preview_view.setColumnWidth(0, min(self.preview_view.columnWidth(0), 380))
        rejected = prepared.rejected_row_count
        self.tabs.setTabText(1, f"Rejected rows ({rejected})")
        missing = self.profile.missing_required(self.table.headers)
        text = (f"{prepared.total_rows:,} rows read · <b>{prepared.ready:,} orders ready</b> · "
                f"<b style='color:{'#b71c1c' if rejected else '#2e7d32'}'>{rejected:,} rows rejected</b>")
        if missing:
            text += f" · no column chosen for: {', '.join(FIELDS[m] for m in missing)}"
        if rejected:
            text += " — fix them in “Rejected rows” or export them, correct them in your spreadsheet and import that file."
        self.summary.setText(text)
        self._refresh_buttons()

    def _fix_cell(self, row: int, column: int, text: str) -> None:
        self.table.rows[row][column] = text
        self._fixes[(row, column)] = text
        self.recheck()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.progress.setVisible(False)
        message = exc.message if isinstance(exc, UserFacingError) else str(exc)
        self.summary.setText(f"<b style='color:#b71c1c'>{message}</b>")
        self._refresh_buttons()

    # ----- rejects
    def _export_rejects(self) -> None:
        dialog = QFileDialog(self, "Save rejected rows", "rejected-orders.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.fileSelected.connect(self.export_rejects)
        dialog.open()

    def export_rejects(self, path: str | Path) -> int:
        count = write_rejects(path, self.table, self.prepared)
        self.summary.setText(f"{count} rejected rows saved to {path}, each with its reason.")
        return count

    # ----- import
    def start_import(self) -> None:
        """Save the checked orders in a child process (the UI keeps running); progress arrives by polling."""
        if self.prepared is None or self._busy or not self.prepared.ready:
            return
        self._busy = True
        self.progress.setRange(0, max(1, self.prepared.ready))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.summary.setText(f"Importing {self.prepared.ready:,} orders…")
        self._refresh_buttons()
        self._process = start_import(self.db.path, self.path_edit.text(), self.profile, self._fixes)
        self._poll.start()

    def _poll_import(self) -> None:
        for message in self._process.messages():
            if message[0] == "progress" and message[1] == "saving":
                self.progress.setMaximum(max(1, message[3]))
                self.progress.setValue(message[2])
            elif message[0] == "done":
                self._poll.stop()
                self._import_done(message[1])
            elif message[0] == "failed":
                self._poll.stop()
                self._busy = False
                self.progress.setVisible(False)
                self.summary.setText(f"<b style='color:#b71c1c'>{message[1]}</b> Nothing was saved.")
                self._refresh_buttons()

    def _import_done(self, report: ImportReport) -> None:
        self._busy = False
        self.report = report
        self.progress.setValue(self.progress.maximum())
        self.summary.setText(f"<b>Imported.</b> {report.imported:,} new orders, {report.updated:,} updated, "
                             f"{report.unchanged:,} unchanged, {report.rejected:,} rows rejected.")
        self._refresh_buttons()
        if self.hub is not None and (report.imported or report.updated):
            self.hub.publish("orders.changed", ids=None)  # None: many orders, listeners reload everything
        self.imported.emit(report)

    def cancel_import(self) -> None:
        if self._busy and self._process is not None:
            self._poll.stop()
            self._process.cancel()
            self._busy = False
            self.progress.setVisible(False)
            self.summary.setText("Import stopped; nothing was saved.")
            self._refresh_buttons()

    def _close_or_cancel(self) -> None:
        if self._busy:
            self.cancel_import()
        else:
            self.reject()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.cancel_import()
        super().closeEvent(event)

    def _refresh_buttons(self) -> None:
        ready = self.prepared is not None and bool(self.prepared.ready) and not self._busy
        self.import_button.setEnabled(ready)
        if self.prepared is not None and not self._busy:
            self.import_button.setText(f"Import {self.prepared.ready:,} orders")
        self.export_rejects_button.setEnabled(bool(self.prepared and self.prepared.rejected_rows) and not self._busy)
        self.close_button.setText("Stop import" if self._busy else "Close")
        for widget in (self.choose_button, self.profile_combo, self.save_profile_button):
            widget.setEnabled(not self._busy)
