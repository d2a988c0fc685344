"""A real shop's first start: the setup assistant opens on an empty store, and filling its pages sets the shop up."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from controltower.dispatch.settings import load_settings
from controltower.services.setup import Zone
from controltower.store import shop_clock
from controltower.ui.context import AppContext
from controltower.ui.main_window import MainWindow
from controltower.ui.setup import SettingsWindow, SetupWizard
from tests.control.fake_services import MailServer

MONDAY_MORNING = datetime(2026, 3, 2, 8, 45, tzinfo=ZoneInfo("America/Los_Angeles"))


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_window(qtbot, store, *, demo: bool = False) -> MainWindow:
    window = MainWindow(AppContext(db=store, offline=True, demo=demo))
    qtbot.addWidget(window)
    window.show()
    return window


def fill_cells(table, row: int, values: list[str]) -> None:
    for column, value in enumerate(values):
        table.item(row, column).setText(value)


def test_the_first_start_of_a_real_store_walks_through_setup_and_finishing_sets_the_shop_up(qtbot, store, tmp_path,
                                                                                             memory_keyring):
    with MailServer(tmp_path, tls=False) as mail, time_machine.travel(MONDAY_MORNING, tick=True):
        window = open_window(qtbot, store)
        qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
        wizard: SetupWizard = window.areas.setup_wizard
        assert wizard.isVisible()
        next_button = wizard.button(QWizard.WizardButton.NextButton)

        shop = wizard.pages["shop"]
        click(qtbot, next_button)  # nothing typed: the page says what is missing and stays
        assert wizard.currentPage() is shop and "needs a name" in shop.message.text()
        qtbot.keyClicks(shop.name, "Rose City Plants")
        qtbot.keyClicks(shop.street, "2325 SE Hawthorne Blvd")
        qtbot.keyClicks(shop.city, "Portland")
        qtbot.keyClicks(shop.postcode, "97214")
        qtbot.keyClicks(shop.phone, "503 555 01")  # a digit short: the page says so and stays
        with qtbot.waitSignal(shop.located, timeout=20_000) as found:
            click(qtbot, shop.find_button)
        assert found.args == [True]
        assert abs(shop.lat.value() - 45.51) < 0.1 and abs(shop.lon.value() + 122.64) < 0.1
        assert shop.timezone.currentText() == "America/Los_Angeles" and "Found at 45.5" in shop.pin.text()
        shop.currency.setCurrentText("USD")
        click(qtbot, next_button)
        assert wizard.currentPage() is shop and "not a valid phone number" in shop.message.text()
        qtbot.keyClicks(shop.phone, "99")
        click(qtbot, next_button)

        hours = wizard.pages["hours"]
        assert wizard.currentPage() is hours
        hours.closes.setTime(hours.closes.time().fromString("18:00", "HH:mm"))
        hours.same_day_cutoff.setTime(hours.same_day_cutoff.time().fromString("13:30", "HH:mm"))
        click(qtbot, next_button)

        assert wizard.currentPage() is wizard.pages["depot"] and wizard.pages["depot"].at_shop.isChecked()
        click(qtbot, next_button)

        vans = wizard.pages["vans"]
        click(qtbot, vans.add_button)
        fill_cells(vans.table, 0, ["Sprinter", "60", "900", "0.45", "26.50", "07:30", "16:00", "45", "Dana Cruz",
                                   "+15035550100"])
        click(qtbot, vans.add_button)
        fill_cells(vans.table, 1, ["Cargo bike", "12", "90", "0.05", "21.00", "10:00", "18:00", "30", "Sam Roe", ""])
        click(qtbot, next_button)

        assert wizard.currentPage() is wizard.pages["connect"]
        click(qtbot, next_button)

        senders = wizard.pages["senders"]
        qtbot.keyClicks(senders.smtp_host, "127.0.0.1")
        senders.smtp_port.setValue(mail.port)
        senders.smtp_security.setCurrentIndex(senders.smtp_security.findData("none"))
        qtbot.keyClicks(senders.smtp_from, "shop@rosecity.example")
        qtbot.keyClicks(senders.test_to, "owner@rosecity.example")
        with qtbot.waitSignal(senders.tested, timeout=20_000) as tested:
            click(qtbot, senders.test_button)
        assert tested.args == [True, "owner@rosecity.example"], senders.test_result.text()
        (received,) = mail.received
        assert received["To"] == "owner@rosecity.example" and received["From"] == "shop@rosecity.example"
        assert received["Subject"] == "Test message from Rose City Plants"
        click(qtbot, next_button)

        zones = wizard.pages["zones"]
        click(qtbot, zones.add_button)
        fill_cells(zones.table, 0, ["Near", "5", "", "0.00"])
        click(qtbot, zones.add_button)
        fill_cells(zones.table, 1, ["East side", "", "97214, 97215, 972*", "3.50"])
        click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
        assert not wizard.isVisible()

    setup = window.context.core.setup
    details = setup.shop()
    assert (details.name, details.postcode, details.timezone, details.currency) == (
        "Rose City Plants", "97214", "America/Los_Angeles", "USD")
    assert (details.opens, details.closes, details.same_day_cutoff) == ("09:00", "18:00", "13:30")
    assert details.phone == "+15035550199" == load_settings(store.reader()).shop_phone  # the couriers' pickup phone
    assert shop_clock.shop_zone_name(store.reader()) == "America/Los_Angeles"  # the shop's day runs on its clock
    depot = setup.depot()
    assert (depot.name, depot.street, depot.lat, depot.lon) == ("Rose City Plants", "2325 SE Hawthorne Blvd",
                                                                details.lat, details.lon)
    sprinter, bike = setup.vans()
    assert (sprinter.name, sprinter.capacity_parcels, sprinter.capacity_weight_kg, sprinter.cost_per_km_minor,
            sprinter.cost_per_hour_minor, sprinter.shift_start, sprinter.shift_end, sprinter.break_minutes,
            sprinter.driver_name, sprinter.driver_phone) == (
        "Sprinter", 60, 900.0, 45, 2650, "07:30", "16:00", 45, "Dana Cruz", "+15035550100")
    assert (bike.name, bike.capacity_parcels, bike.driver_name) == ("Cargo bike", 12, "Sam Roe")
    assert store.scalar("SELECT count(*) FROM vehicles WHERE depot_id = ?", (depot.id,)) == 2
    assert load_settings(store.reader()).zones == (Zone("Near", 5.0, (), 0), Zone("East side", None, ("97214", "97215", "972*"), 350))
    assert window.context.core.setup.senders().smtp_host == "127.0.0.1"

    # What the window shows: the Routes area no longer asks for a van, and Settings shows what was set up.
    assert not window.areas.empty_states.routes.isVisibleTo(window.areas.routes)
    settings = window.areas.settings("vans")
    qtbot.addWidget(settings)
    assert [settings.pages["vans"].table.item(row, 0).text() for row in range(2)] == ["Sprinter", "Cargo bike"]
    assert settings.pages["shop"].name.text() == "Rose City Plants"
    assert settings.pages["zones"].table.rowCount() == 2
    window.close()


def test_the_demo_never_opens_the_setup_assistant(qtbot, store):
    window = open_window(qtbot, store, demo=True)
    qtbot.wait(200)
    assert getattr(window.areas, "setup_wizard", None) is None
    window.close()


def test_the_settings_window_changes_a_van_and_says_a_mistake_on_its_page(qtbot, store):
    window = open_window(qtbot, store)
    core = window.context.core
    qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
    window.areas.setup_wizard.reject()
    settings = SettingsWindow(core, window, page="shop")
    qtbot.addWidget(settings)
    settings.show()
    shop = settings.pages["shop"]
    shop.name.setText("Rose City Plants")
    shop.lat.setValue(45.5122)
    shop.lon.setValue(-122.6413)
    shop.timezone.setCurrentText("America/Los_Angeles")
    shop.phone.setText("(503) 555-0199")
    vans = settings.show_page("vans")
    click(qtbot, vans.add_button)
    fill_cells(vans.table, 0, ["Van 1", "forty", "600", "0.40", "25.00", "08:00", "18:00", "30", "", ""])
    assert settings.save() is False
    assert settings.stack.currentWidget() is vans and "'forty' is not a number" in vans.message.text()
    assert core.setup.vans() == []  # nothing half-written
    vans.table.item(0, 1).setText("40")
    assert settings.save() is True
    (van,) = core.setup.vans()
    vans.table.item(0, 0).setText("Van A")
    assert settings.save() is True
    assert [v.name for v in core.setup.vans()] == ["Van A"] and core.setup.vans()[0].id == van.id
    window.close()


def test_a_computer_without_a_keychain_still_shows_the_senders_page_and_says_why_a_password_is_not_saved(qtbot, store,
                                                                                                       monkeypatch):
    import keyring
    from keyring.errors import NoKeyringError

    def no_keychain(*_args):
        raise NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(keyring, "get_password", no_keychain)
    monkeypatch.setattr(keyring, "set_password", no_keychain)
    window = open_window(qtbot, store)
    qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
    senders = window.areas.setup_wizard.pages["senders"]
    senders.smtp_host.setText("mail.rosecity.example")
    senders.smtp_password.setText("s3cret")
    assert senders.commit() is False
    assert senders.message.text().startswith("The password was not saved") and "keychain" in senders.message.text()
    window.close()
