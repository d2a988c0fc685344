"""Settings > Travel times through qtbot: the shop's van speeds and rush hour are shown, changed, saved and read back."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from controltower.services.core import ControlTower, Options
from controltower.services.setup import ShopDetails
from controltower.ui.setup import SettingsWindow


@pytest.fixture
def core(store):
    tower = ControlTower(store, options=Options(sync=False))
    tower.setup.save_shop(ShopDetails("Kukka Helsinki", lat=60.1699, lon=24.9384, timezone="Europe/Helsinki",
                                      country="FI", phone="+358 9 310 1691"))
    return tower


def open_page(qtbot, core):
    window = SettingsWindow(core)
    qtbot.addWidget(window)
    window.show()
    return window, window.show_page("travel")


def test_the_default_speeds_and_rush_are_shown(qtbot, core):
    _window, page = open_page(qtbot, core)

    assert [page.speeds[c].value() for c in ("motorway", "primary", "residential")] == [90, 45, 25]
    assert page.rush.value() == 56


def test_slower_streets_and_a_worse_rush_are_saved_and_shown_again(qtbot, core):
    window, page = open_page(qtbot, core)
    page.speeds["residential"].setValue(20)
    page.rush.setValue(40)

    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)

    assert window.status.text() == "Saved."
    profile = core.routing.speed_profile()
    assert profile.kmh("residential") == 20 and profile.kmh("service") == pytest.approx(15 * 20 / 25, abs=0.05)
    assert profile.kmh("primary") == 45  # untouched
    assert min(profile.hourly_factors) == pytest.approx(0.40) and profile.hourly_factors[3] == 1.0
    assert profile.hourly_factors.index(min(profile.hourly_factors)) in (8, 17)  # still the rush hours
    _again, reopened = open_page(qtbot, core)
    assert reopened.speeds["residential"].value() == 20 and reopened.rush.value() == 40
