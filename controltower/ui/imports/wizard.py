"""The import wizard: pick a file, choose or adjust the column mapping with a live preview, fix or export rejected rows, import in the background."""
from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)

from ...services.imports import (
    FIELDS, CheckSession, CheckSummary, ImportProfile, ImportReport, ImportService, TableHead, normalise_header,
)
from .preview import PreviewModel, RejectsModel

NOT_IMPORTED = "(not imported)"


class ImportWizard(QDialog):
    """Bring a day's orders in from a CSV or Excel file. `imported(report)` fires when an import has been saved.

    The file is read and checked in a child process (CheckSession): a 100,000-row file never stalls the window.
    `checked` fires after each check, `rejectsExported(count, path)` when the rejected rows were written."""

    imported = Signal(object)
    checked = Signal()
    rejectsExported = Signal(int, str)

    def __init__(self, parent, service: ImportService) -> None:
        super().__init__(parent)
        self.service = service
        self.table: TableHead | None = None  # the file's headers and first rows; the child holds the rest
        self.profile: ImportProfile | None = None
        self.prepared: CheckSummary | None = None  # the last check's verdict
        self.report: ImportReport | None = None
        self._session: CheckSession | None = None
        self._loading = 0  # request number of the file being read
        self._checking = 0  # request number of the newest check; older answers are dropped
        self._exporting = 0
        self._problems: list = []
        self._busy = False
        self._fixes: dict[tuple[int, int], str] = {}
        self._process = None
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._poll_import)
        self._session_poll = QTimer(self)
        self._session_poll.setInterval(30)
        self._session_poll.timeout.connect(self._poll_session)
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
        self.profile_combo.addItems(self.service.profile_names())
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
        """Read a file in the check process; its profile is guessed and it is checked when it arrives."""
        if self._session is None:
            self._session = CheckSession()
            self._session_poll.start()
        self._loading = self._session.load(path)
        self._checking = 0
        self.table, self.prepared, self.report = None, None, None
        self._fixes = {}
        self.path_edit.setText(str(path))
        self.file_info.setText("")
        self.preview_model.show(None, None)
        self.rejects_model.show(None, None)
        self.summary.setText(f"Reading {Path(path).name}…")
        self._refresh_buttons()

    def _loaded(self, table: TableHead, guessed: ImportProfile) -> None:
        self.table = table
        separator = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(table.delimiter, "")
        self.file_info.setText(f"{table.total_rows:,} rows · {table.encoding}{' · ' + separator if separator else ''}")
        if self.profile_combo.currentText() == guessed.name:
            self._choose_profile(guessed.name)
        else:
            self.profile_combo.setCurrentText(guessed.name)

    def _poll_session(self) -> None:
        """Replies from the check process, a few at a time so the window stays responsive."""
        if self._session is None:
            return
        for message in self._session.messages(limit=8):
            kind, number = message[0], message[1]
            if kind == "loaded" and number == self._loading:
                self._loaded(message[2], message[3])
            elif kind == "problems" and number == self._checking:
                self._problems += message[2]
            elif kind == "checked" and number == self._checking:
                summary = message[2]
                summary.problems, self._problems = self._problems, []
                self._checked(summary)
            elif kind == "exported":
                self.summary.setText(f"{message[2]:,} rejected rows saved to {message[3]}, each with its reason.")
                self.rejectsExported.emit(message[2], message[3])
            elif kind == "failed" and number in (self._loading, self._checking, self._exporting):
                self._failed(message[2], message[3])

    def _choose_profile(self, name: str) -> None:
        if not name:
            return
        try:
            self.profile = self.service.load_profile(name)
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
        self.service.save_profile(self.profile)
        if self.profile_combo.findText(name) < 0:
            self.profile_combo.blockSignals(True)
            self.profile_combo.addItem(name)
            self.profile_combo.setCurrentText(name)
            self.profile_combo.blockSignals(False)

    # ----- checking
    def recheck(self) -> None:
        """Check the whole file with the current mapping and fixes in the check process; the newest request wins."""
        if self.table is None or self.profile is None or self._session is None:
            return
        self._checking = self._session.check(self.service.in_shop_zone(self.profile), self._fixes)
        self._problems = []
        self.summary.setText(f"Checking {self.table.total_rows:,} rows…")
        self._refresh_buttons()

    def _checked(self, prepared: CheckSummary) -> None:
        self.prepared = prepared
        self.preview_model.show(self.table, prepared)
        self.rejects_model.show(self.table, prepared)
        # Sized from the distinct verdicts, not by asking every row (resizeColumnToContents took 120 ms on 500 rows).
        metrics = self.preview_view.fontMetrics()
        texts = {"Check", "OK", *self.preview_model.reasons.values()}
        self.preview_view.setColumnWidth(0, min(max(metrics.horizontalAdvance(t) for t in texts) + 24, 380))
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
        self.checked.emit()

    def _fix_cell(self, row: int, column: int, text: str) -> None:
        if row < len(self.table.rows):
            self.table.rows[row][column] = text  # the preview shows the corrected cell
        self._fixes[(row, column)] = text
        self.recheck()

    def _failed(self, message: str, advice: str = "") -> None:
        self._busy = False
        self.progress.setVisible(False)
        shown = advice if advice and "Traceback" not in advice else ""
        self.summary.setText(f"<b style='color:#b71c1c'>{escape(message)}</b> {escape(shown)}")  # names come from the file
        self._refresh_buttons()

    # ----- rejects
    def _export_rejects(self) -> None:
        dialog = QFileDialog(self, "Save rejected rows", "rejected-orders.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.fileSelected.connect(self.export_rejects)
        dialog.open()

    def export_rejects(self, path: str | Path) -> None:
        """Write the rejected rows with their reasons (in the check process); `rejectsExported` says when."""
        if self._session is not None and self.prepared is not None:
            self.summary.setText(f"Saving rejected rows to {path}…")
            self._exporting = self._session.export_rejects(path)

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
        self._process = self.service.start(self.path_edit.text(), self.profile, self._fixes)
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
                self.summary.setText(f"<b style='color:#b71c1c'>{escape(message[1])}</b> Nothing was saved.")
                self._refresh_buttons()

    def _import_done(self, report: ImportReport) -> None:
        self._busy = False
        self.report = report
        self.progress.setValue(self.progress.maximum())
        self.summary.setText(f"<b>Imported.</b> {report.imported:,} new orders, {report.updated:,} updated, "
                             f"{report.unchanged:,} unchanged, {report.rejected:,} rows rejected.")
        self._refresh_buttons()
        self.service.imported(report)
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
        self.end_session()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.end_session()
        super().done(result)

    def end_session(self) -> None:
        """Stop the check process (the file is read again if the wizard is used again)."""
        self._session_poll.stop()
        if self._session is not None:
            self._session.close()
            self._session = None

    def _refresh_buttons(self) -> None:
        ready = self.prepared is not None and bool(self.prepared.ready) and not self._busy
        self.import_button.setEnabled(ready)
        if self.prepared is not None and not self._busy:
            self.import_button.setText(f"Import {self.prepared.ready:,} orders")
        self.export_rejects_button.setEnabled(bool(self.prepared and self.prepared.rejected_rows) and not self._busy)
        self.close_button.setText("Stop import" if self._busy else "Close")
        for widget in (self.choose_button, self.profile_combo, self.save_profile_button):
            widget.setEnabled(not self._busy)
