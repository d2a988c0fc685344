"""The import wizard as a shop owner uses it: pick a file, see rejected rows explained, fix one, import in the background."""
from __future__ import annotations

import csv
import os
from pathlib import Path

from PySide6.QtCore import Qt

from controltower.services.imports import ImportService
from controltower.store.orders import get_order, get_order_id
from controltower.ui.imports import ImportWizard

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def open_wizard(qtbot, store, path):
    wizard = ImportWizard(None, ImportService(store))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.load_file(path)
    qtbot.waitUntil(lambda: wizard.prepared is not None, timeout=20000)
    return wizard


def test_preview_explains_rejected_rows_and_a_fix_makes_the_row_importable(qtbot, store, tmp_path):
    wizard = open_wizard(qtbot, store, DATA / "bad_rows.csv")
    assert wizard.profile_combo.currentText() == "generic"
    assert "2 orders ready" in wizard.summary.text() and "15 rows rejected" in wizard.summary.text()
    assert wizard.tabs.tabText(1) == "Rejected rows (15)"
    preview = wizard.preview_model
    assert preview.data(preview.index(0, 0)) == "OK"
    assert preview.data(preview.index(5, 0)).startswith("postcode: postcode “ABCDE” is not a US postcode")
    assert preview.data(preview.index(5, 0), Qt.BackgroundRole) is not None

    shot = tmp_path / "import_wizard.png"
    wizard.tabs.setCurrentIndex(1)
    assert wizard.grab().save(str(shot))
    if os.environ.get("CT_SCREENSHOT_DIR"):
        wizard.grab().save(str(Path(os.environ["CT_SCREENSHOT_DIR"]) / "import_wizard_rejects.png"))
        wizard.tabs.setCurrentIndex(0)
        wizard.grab().save(str(Path(os.environ["CT_SCREENSHOT_DIR"]) / "import_wizard_preview.png"))
    assert shot.stat().st_size > 10_000

    rejects = wizard.rejects_model
    postcode_row = next(i for i in range(rejects.rowCount()) if rejects.data(rejects.index(i, 2)).startswith("postcode “ABCDE”"))
    assert rejects.data(rejects.index(postcode_row, 3)) == "ABCDE"
    assert rejects.setData(rejects.index(postcode_row, 3), "62704")
    qtbot.waitUntil(lambda: "3 orders ready" in wizard.summary.text(), timeout=20000)
    assert wizard.tabs.tabText(1) == "Rejected rows (14)"

    exported = tmp_path / "rejects.csv"
    with qtbot.waitSignal(wizard.rejectsExported, timeout=20000) as written:
        wizard.export_rejects(exported)
    assert written.args == [14, str(exported)]
    assert "14 rejected rows saved to" in wizard.summary.text()
    with open(exported, encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 14

    with qtbot.waitSignal(wizard.imported, timeout=30000) as signal:
        qtbot.mouseClick(wizard.import_button, Qt.LeftButton)
    report = signal.args[0]
    assert (report.imported, report.rejected) == (3, 14)
    assert "3 new orders" in wizard.summary.text()
    assert get_order(store.conn, get_order_id(store.conn, "G-6")).address.postcode == "62704"


def test_mapping_a_column_by_hand_and_saving_it_as_a_profile(qtbot, store, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Ref,Who,Where,Town,PLZ,Land\nX-1,Ana,1 Main St,Springfield,62701,US\n", encoding="utf-8")
    wizard = open_wizard(qtbot, store, path)
    assert "0 orders ready" in wizard.summary.text()
    for field, header in (("order_ref", "Ref"), ("customer_name", "Who"), ("street", "Where"), ("city", "Town"),
                          ("postcode", "PLZ"), ("country", "Land")):
        wizard.mapping_combos[field].setCurrentText(header)
    qtbot.waitUntil(lambda: "1 orders ready" in wizard.summary.text(), timeout=20000)
    wizard.save_profile_as("my odd sheet")
    assert wizard.profile_combo.findText("my odd sheet") >= 0

    again = ImportWizard(None, ImportService(store))
    qtbot.addWidget(again)
    assert again.profile_combo.findText("my odd sheet") >= 0  # saved in the store, offered next time


def test_a_file_where_every_row_is_bad_lists_every_reason_and_previews_the_first_rows(qtbot, store, tmp_path):
    path = tmp_path / "all_bad.csv"
    path.write_text("order_ref,customer_name,street,city,postcode,country\n" +
                    "".join(f"Z-{i},Name {i},{i} Elm St,Springfield,ABC{i},US\n" for i in range(4500)), encoding="utf-8")
    wizard = open_wizard(qtbot, store, path)
    assert "0 orders ready" in wizard.summary.text() and "4,500 rows rejected" in wizard.summary.text()
    rejects = wizard.rejects_model
    assert rejects.rowCount() == 4500  # arrived in several messages, none lost
    assert rejects.data(rejects.index(4499, 0)) == "4501" and rejects.data(rejects.index(4499, 3)) == "ABC4499"
    preview = wizard.preview_model
    assert preview.rowCount() == 500  # the head of the file; the check process holds the rest
    assert preview.data(preview.index(499, 0)).startswith("postcode: postcode “ABC499”")
    assert wizard.file_info.text().startswith("4,500 rows")


def test_closing_the_wizard_ends_its_check_process(qtbot, store):
    wizard = open_wizard(qtbot, store, DATA / "bad_rows.csv")
    process = wizard._session._process
    assert process.is_alive()
    wizard.close()
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=10000)


def test_an_unreadable_file_says_why_in_the_wizard(qtbot, store, tmp_path):
    wizard = ImportWizard(None, ImportService(store))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.load_file(tmp_path / "missing.csv")
    qtbot.waitUntil(lambda: "Could not open missing.csv" in wizard.summary.text(), timeout=20000)
    assert not wizard.import_button.isEnabled()
