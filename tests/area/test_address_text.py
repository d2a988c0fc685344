"""Street lines taken apart as people write them: the street, the house numbers to try, a postcode and town inside."""
import pytest

from controltower.area.address_text import fold, house_key, parse_street_line, range_members, street_aliases


@pytest.mark.parametrize("line, street, keys", [
    ("Mannerheimintie 5", "mannerheimintie", ("5",)),
    ("5 Mannerheimintie", "mannerheimintie", ("5",)),
    ("Mannerheimintie 5 A 12", "mannerheimintie", ("5a", "5")),  # staircase A, flat 12
    ("11 B 9 Erottajankatu", "erottajankatu", ("11b", "11")),
    ("12 as. 4 Main St.", "main st", ("12",)),
    ("Fredrikinkatu 14-20 B", "fredrikinkatu", ("14-20b", "14-20", "14")),
    ("Töölönkatu 7b", "toolonkatu", ("7b",)),
    ("Asema-aukio", "asema aukio", ()),
])
def test_street_and_house_number_found_in_any_order(line, street, keys):
    parsed = parse_street_line(line)

    assert (parsed.street, parsed.house_keys) == (street, keys)


def test_a_whole_address_on_one_line_gives_its_postcode_and_town():
    parsed = parse_street_line("Annank. 7b, 00120 Helsinki")

    assert (parsed.street, parsed.house_keys, parsed.postcode, parsed.city) == ("annank", ("7b",), "00120", "Helsinki")
    assert parse_street_line("Asemahalli, Kaivokatu 1").street == "kaivokatu"  # the part with the number


def test_short_forms_of_a_street_name():
    assert {"annank", "annan k", "annankatu"} <= street_aliases("annankatu")
    assert {"main st", "main str", "main street"} <= street_aliases("main street")
    assert "john ranta stenbergin" in street_aliases("john stenbergin ranta")  # words sorted: any order typed fits


def test_house_keys_and_ranges():
    assert [house_key(text) for text in ("20 B", "14-20", "14 – 20", "2, 2. krs./Floor 2")] == ["20b", "14-20", "14-20", "2"]
    assert range_members("14-20") == ["14", "16", "18", "20"]
    assert range_members("3-4") == ["3", "4"] and range_members("2-90") == []
    assert fold("Straße Ä-Ö") == "strasse a o"
