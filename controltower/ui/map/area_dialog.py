"""Map > Streets for offline use…: build the shop's area package from an OpenStreetMap extract, see what it holds."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
    QRadioButton, QVBoxLayout, QWidget,
)

from ...kernel.errors import UserFacingError
from ...kernel.events import EventHub
from .extract_download import ExtractDownloadRow
from .scheme import resources_root

EXTRACT_FILTER = "OpenStreetMap extracts (*.osm.pbf *.pbf)"


def shipped_extracts() -> list[Path]:
    """The extracts that come with the app (resources/areas/<name>/<Name>.osm.pbf), e.g. Helsinki for the demo."""
    return sorted((resources_root() / "areas").glob("*/*.osm.pbf"))


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _number(info: dict, *keys: str) -> float | None:
    for key in keys:
        value = info.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def package_summary(package) -> str:
    """One paragraph on what an area package holds, from what each part's builder reported."""
    parts = package.parts or {}
    built = package.built_at.astimezone().strftime("%Y-%m-%d %H:%M")
    lines = [f"{package.name}: built {built} from {package.source_name} ({megabytes(package.source_size)})."]
    addresses = parts.get("addresses", {})
    roads = parts.get("roads", {})
    basemap = parts.get("basemap", {})
    held = []
    count = _number(addresses, "addresses", "count")
    if count is not None:
        held.append(f"{int(count):,} addresses")
    elif "skipped" in addresses:
        held.append("no address index")
    km = _number(roads, "road_km", "km", "length_km")
    if km is not None:
        held.append(f"{km:,.1f} km of roads")
    elif _number(roads, "segments") is not None:
        held.append(f"{int(roads['segments']):,} road segments")
    elif "skipped" in roads:
        held.append("no road network")
    tiles = _number(basemap, "tiles")
    if tiles is not None:
        size = _number(basemap, "bytes") or 0
        zooms = f", zoom {basemap['min_zoom']}–{basemap['max_zoom']}" if "min_zoom" in basemap else ""
        held.append(f"a street map of {int(tiles):,} tiles ({megabytes(int(size))}{zooms})")
    elif "skipped" in basemap:
        held.append("no street map")
    if held:
        lines.append("It holds " + ", ".join(held) + ".")
    return " ".join(lines)


class _Relay(QObject):
    """The build's hub events, brought to the UI thread."""

    progress = Signal(str, int, int)
    built = Signal(str)
    failed = Signal(str, str)
    cancelled = Signal()


def relay_emit(signal, *args) -> None:
    """Emit from the build's watcher thread; the window may have closed meanwhile (then nobody is left to tell)."""
    try:
        signal.emit(*args)
    except RuntimeError:  # the relay's C++ object is gone with its dialog or window
        pass


class AreaDialog(QDialog):
    """Choose an extract (one the user has, or the one shipped with the app), build it with progress, cancel it."""

    def __init__(self, area_service, hub: EventHub, parent: QWidget | None = None, *, extracts=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Streets for offline use")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # and its hub subscriptions go with it
        self.setMinimumWidth(560)
        self.area = area_service
        self.chosen: Path | None = None
        self._file_dialog: QFileDialog | None = None
        intro = self._label("Control Tower can draw your streets, find addresses to the house and time routes on real "
                            "roads with no internet at all. It builds all of that on this computer from an "
                            "OpenStreetMap extract of your area (a .osm.pbf file, e.g. from download.geofabrik.de).")
        self.current = self._label("")
        self.current.setObjectName("areaCurrent")
        self.attribution = self._label("")
        self.attribution.setObjectName("areaAttribution")
        current_box = QGroupBox("Your area now")
        current_layout = QVBoxLayout(current_box)
        current_layout.addWidget(self.current)
        current_layout.addWidget(self.attribution)

        self.use_shipped = QRadioButton()
        self.use_file = QRadioButton("An extract on this computer:")
        self.choose_button = QPushButton("Choose file…")
        self.file_label = self._label("no file chosen")
        shipped = shipped_extracts()
        self.shipped = shipped[0] if shipped else None
        if self.shipped is not None:
            self.use_shipped.setText(f"The extract that comes with the app: {self.shipped.parent.name.title()} "
                                     f"({self.shipped.name}, {megabytes(self.shipped.stat().st_size)})")
            self.use_shipped.setChecked(True)
        else:
            self.use_shipped.setText("The extract that comes with the app (not in this installation)")
            self.use_shipped.setEnabled(False)
            self.use_file.setChecked(True)
        self.download = ExtractDownloadRow(extracts)  # services.extracts.ExtractDownloads, or None
        group = QButtonGroup(self)
        for choice in (self.use_shipped, self.use_file, self.download.choice):
            group.addButton(choice)
        source_box = QGroupBox("Build from")
        source_layout = QVBoxLayout(source_box)
        source_layout.addWidget(self.use_shipped)
        file_row = QHBoxLayout()
        file_row.addWidget(self.use_file)
        file_row.addWidget(self.choose_button)
        file_row.addWidget(self.file_label, 1)
        source_layout.addLayout(file_row)
        source_layout.addWidget(self.download)

        self.stage = self._label("")
        self.stage.setObjectName("areaStage")
        self.progress = QProgressBar(visible=False)
        self.message = self._label("")
        self.message.setObjectName("areaMessage")
        self.build_button = QPushButton("Build")
        self.cancel_button = QPushButton("Cancel build", enabled=False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.build_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for widget in (intro, current_box, source_box, self.stage, self.progress, self.message, buttons):
            layout.addWidget(widget)

        self._relay = _Relay(self)
        self._relay.progress.connect(self._show_progress)
        self._relay.built.connect(self._built)
        self._relay.failed.connect(self._failed)
        self._relay.cancelled.connect(self._cancelled)
        relay = self._relay
        self._unsubscribe = [
            hub.subscribe("area.progress", lambda _t, p: relay_emit(relay.progress, str(p["stage"]), int(p["done"]),
                                                                    int(p["total"]))),
            hub.subscribe("area.built", lambda _t, p: relay_emit(relay.built, str(p.get("name", "")))),
            hub.subscribe("area.failed", lambda _t, p: relay_emit(relay.failed, str(p.get("message", "")),
                                                                  str(p.get("advice", "")))),
            hub.subscribe("area.cancelled", lambda _t, p: relay_emit(relay.cancelled)),
        ]
        self.destroyed.connect(lambda *_, gone=self._unsubscribe: [unsubscribe() for unsubscribe in gone])
        self.choose_button.clicked.connect(self.choose_file)
        self.build_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_shipped.toggled.connect(self._update_buttons)
        self.download.choice.toggled.connect(self._update_buttons)
        self.download.url.textChanged.connect(self._update_buttons)
        self.download.progress.connect(self._show_download)
        self.show_current()
        self._set_running(self.area.building)

    @staticmethod
    def _label(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)  # file, package and OSM names are shown as typed, never as markup
        label.setWordWrap(True)
        return label

    # -- what there is ---------------------------------------------------------------------------------------
    def show_current(self) -> None:
        package = self.area.current()
        if package is None:
            self.current.setText("No area yet: offline, the map shows only its built-in background, addresses are "
                                 "placed by postcode and travel times are estimated from straight lines.")
            self.attribution.setText("")
            return
        self.current.setText(package_summary(package))
        self.attribution.setText(f"Map data {package.attribution}")

    def source(self) -> Path | None:
        return self.shipped if self.use_shipped.isChecked() else self.chosen if self.use_file.isChecked() else None

    def _update_buttons(self) -> None:
        ready = self.source() is not None or (self.download.choice.isChecked() and bool(self.download.address()))
        self.build_button.setEnabled(not self.area.building and not self.download.running and ready)

    def _set_running(self, running: bool) -> None:
        self.download.set_running(running)
        self.cancel_button.setEnabled(running)
        self.choose_button.setEnabled(not running)
        self.use_shipped.setEnabled(not running and self.shipped is not None)
        self.use_file.setEnabled(not running)
        self.progress.setVisible(running)
        self._update_buttons()

    # -- choosing a file (open(), never exec(): the app's loop keeps running) ----------------------------------
    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Choose an OpenStreetMap extract", str(Path.home()), EXTRACT_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.file_chosen)
        self._file_dialog = dialog
        dialog.open()

    def file_chosen(self, path: str) -> None:
        chosen = Path(path)
        try:
            size = chosen.stat().st_size
        except OSError as exc:
            self.message.setText(f"{chosen.name} can't be read ({exc.strerror}).")
            return
        self.chosen = chosen
        self.file_label.setText(f"{chosen.name} ({megabytes(size)})")
        self.use_file.setChecked(True)
        self.message.setText("")
        self._update_buttons()

    # -- building --------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.download.choice.isChecked():
            return self._start_download()
        self._build(self.source())

    def _start_download(self) -> None:
        self.message.setText("")
        self.stage.setText("Downloading the extract…")
        self.progress.setRange(0, 0)
        self._set_running(True)
        self.download.start(self._downloaded, self._download_failed)

    def _show_download(self, done: int, total: int) -> None:
        self.stage.setText(f"Downloading the extract… {done / 1_000_000:,.1f}"
                           + (f" of {total / 1_000_000:,.1f} MB" if total else " MB"))
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _downloaded(self, path: Path) -> None:
        self._set_running(False)
        self._build(path)

    def _download_failed(self, sentence: str) -> None:
        self._set_running(False)
        self.stage.setText("")
        self.message.setText(sentence)

    def _build(self, source: Path | None) -> None:
        if source is None:
            self.message.setText("Choose an extract first.")
            return
        try:
            self.area.start_build(source)
        except UserFacingError as error:  # a missing, empty, damaged or foreign file; a build already running
            self.message.setText(f"{error.message} {error.advice}".strip())
            return
        self.message.setText("")
        self.stage.setText(f"Building from {source.name}…")
        self.progress.setRange(0, 0)
        self._set_running(True)

    def cancel(self) -> None:
        if self.download.running:
            self.download.cancel()
        else:
            self.area.cancel()

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(f"{stage[:1].upper()}{stage[1:]}…" + (f" {done:,} of {total:,}" if total else ""))
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)  # busy: this stage does not know how far it is

    def _built(self, name: str) -> None:
        self._set_running(False)
        self.stage.setText(f"Done: {name} is your area now. The map, addresses and routes use it from now on.")
        self.show_current()

    def _failed(self, message: str, advice: str) -> None:
        self._set_running(False)
        self.stage.setText("")
        self.message.setText(f"{message} {advice}".strip() if len(advice) < 300 else message)

    def _cancelled(self) -> None:
        self._set_running(False)
        self.stage.setText("Build cancelled: your area is as it was.")
