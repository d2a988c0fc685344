"""The shop's speed profile: kept in its settings as JSON, read back the same, and refused in words when impossible."""
import pytest

from controltower.area.speeds import RUSH_HOUR_FACTORS, SpeedProfile, load_speed_profile, save_speed_profile


def test_the_default_profile_until_the_shop_saves_its_own(store):
    assert load_speed_profile(store) == SpeedProfile()

    mine = SpeedProfile({"residential": 20, "primary": 40}).with_rush(0.5)
    save_speed_profile(store, mine)

    assert load_speed_profile(store) == mine
    assert load_speed_profile(store).kmh("residential") == 20 and load_speed_profile(store).kmh("service") == 15


def test_rush_hours_are_slowest_on_main_roads_and_half_as_slow_on_side_streets():
    profile = SpeedProfile()

    assert profile.kmh("primary", 3) == profile.kmh("primary")  # night: empty roads
    assert profile.kmh("primary", 8) == pytest.approx(45 * RUSH_HOUR_FACTORS[8])
    assert profile.kmh("residential", 8) == pytest.approx(25 * (1 + RUSH_HOUR_FACTORS[8]) / 2)
    assert profile.kmh("primary", (10, 18)) == pytest.approx(45 * min(RUSH_HOUR_FACTORS[10:18]))  # a shift's slowest


@pytest.mark.parametrize("profile,message", [
    (lambda: SpeedProfile(hourly_factors=(1.0,) * 23), "24 hourly factors, not 23"),
    (lambda: SpeedProfile(hourly_factors=(0.0,) * 24), "between 0.05 and 1.5"),
    (lambda: SpeedProfile({"residential": 0}), "between 1 and 150 km/h"),
    (lambda: SpeedProfile({"autobahn": 130}), "Unknown road class in the speed profile: autobahn"),
])
def test_an_impossible_profile_is_refused_in_words(profile, message):
    with pytest.raises(ValueError, match=message):
        profile()
