"""Offline geocoding from the area's address index: messy addresses found at house level, unknown house numbers
interpolated along their street, and a position that may be wrong never claims to be the house."""
import math
import random

import osmium
import pytest

from controltower.area.addresses import AddressIndex, build_address_index
from controltower.area.messy import messy_address
from controltower.domain import Address, GeoPrecision
from controltower.domain.geo import haversine_km


@pytest.fixture
def index(helsinki_addresses):
    return AddressIndex.open(helsinki_addresses)


def metres(point, lat, lon) -> float:
    return haversine_km(point.lat, point.lon, lat, lon) * 1000


def known(index, street, number):
    return next(p for p in index.points() if p.street == street and p.housenumber == number)


def test_the_index_lists_the_extracts_addresses_for_the_demo(index):
    points = index.points()

    assert len(points) == 584
    station = known(index, "Kaivokatu", "1")  # the railway station: its building's centre, not one of its shops
    assert (station.postcode, station.city) == ("00100", "Helsinki")
    assert station.lat == pytest.approx(60.17127, abs=1e-4) and station.lon == pytest.approx(24.94118, abs=1e-4)
    assert all(p.lat and p.lon and p.street and p.housenumber for p in points)


@pytest.mark.parametrize("typed", [
    Address("Mannerheimintie 5", "Helsinki", "00100", "FI"),
    Address("5 MANNERHEIMINTIE", "", "", ""),  # word order, case, no postcode or town
    Address("mannerheimint. 5", "helsinki", "", "FI"),  # Finnish short form
    Address("Manerheimintie 5", "Helsinki", "", ""),  # a letter left out
    Address("Mannerheimintie 5 A 12", "Helsinki", "", ""),  # staircase and flat
    Address("Mannerheimintie 5, 00100 Helsinki", "", "", ""),  # the whole address on one line
    Address("Mannerheimintie 5", "Helsinki", "", "Finland"),  # the country by name
    Address("Mannerheimintie 5", "7", "", ""),  # a number in the town field (the extract has one such address)
])
def test_messy_forms_of_one_address_find_its_house(index, typed):
    house = known(index, "Mannerheimintie", "5")

    point = index.locate(typed)

    assert point.precision == GeoPrecision.ROOFTOP
    assert metres(point, house.lat, house.lon) < 1
    assert point.confidence >= 0.8


def test_short_forms_and_accents_of_other_streets(index):
    for typed, street, number in [("Yrjonk. 21", "Yrjönkatu", "21"), ("ANNANK 29 B", "Annankatu", "29 B"),
                                  ("Ranta John Stenbergin 4", "John Stenbergin ranta", "4")]:
        house = known(index, street, number)
        point = index.locate(Address(typed, "Helsinki", "", "FI"))
        assert point.precision == GeoPrecision.ROOFTOP, typed
        assert metres(point, house.lat, house.lon) < 1, typed


def test_nineteen_in_twenty_messy_addresses_land_within_30_m_and_no_miss_claims_the_house(index):
    rng = random.Random(20)
    points = index.points()
    within = claimed_misses = 0
    for point in points:
        found = index.locate(messy_address(point, rng, country="FI"))
        if found is not None and metres(found, point.lat, point.lon) <= 30:
            within += 1
        elif found is not None and found.precision == GeoPrecision.ROOFTOP:
            claimed_misses += 1
    assert within / len(points) >= 0.95
    assert claimed_misses == 0


def test_a_house_number_not_in_the_data_is_interpolated_on_its_side_of_the_street(index):
    thirteen, nineteen = known(index, "Annankatu", "13"), known(index, "Annankatu", "19")

    point = index.locate(Address("Annankatu 15", "Helsinki", "", "FI"))  # 15 and 17 are not in the extract

    assert point.precision == GeoPrecision.INTERPOLATED
    assert point.precision.words == "between known house numbers"  # what the shop owner is told
    assert point.lat == pytest.approx(thirteen.lat + (nineteen.lat - thirteen.lat) / 3, abs=1e-7)
    assert point.lon == pytest.approx(thirteen.lon + (nineteen.lon - thirteen.lon) / 3, abs=1e-7)
    assert 0 < point.confidence < 0.8


def test_past_the_known_numbers_only_the_street_is_claimed(index):
    point = index.locate(Address("Annankatu 3", "Helsinki", "", "FI"))  # the extract knows 10 to 33

    assert point.precision == GeoPrecision.STREET and point.precision.words == "the street"
    assert point.confidence < 0.5


def test_an_unknown_street_falls_back_to_its_postcode_its_town_or_nothing(index):
    in_postcode = index.locate(Address("Tuntemattomankuja 4", "Helsinki", "00120", "FI"))
    in_town = index.locate(Address("Tuntemattomankuja 4", "HELSINKI", "", "FI"))

    assert in_postcode.precision == GeoPrecision.POSTCODE and in_postcode.confidence < 0.5
    assert in_town.precision == GeoPrecision.CITY and in_town.confidence < in_postcode.confidence
    assert index.locate(Address("Tuntemattomankuja 4", "", "", "FI")) is None
    assert index.locate(Address("Mannerheimintie 5", "Espoo", "02100", "FI")) is None  # a town the area has not
    assert index.locate(Address("Mannerheimintie 5", "Helsinki", "00100", "SE")) is None


def _two_streets(path):
    """A tiny extract with Mikonkatu 5 and Vironkatu 5 four hundred metres apart."""
    with osmium.SimpleWriter(str(path)) as writer:
        for number, (street, lon) in enumerate([("Mikonkatu", 24.940), ("Vironkatu", 24.947)], start=1):
            writer.add_node(osmium.osm.mutable.Node(id=number, location=(lon, 60.170), tags={
                "addr:street": street, "addr:housenumber": "5", "addr:postcode": "00100", "addr:city": "Helsinki"}))
            writer.add_node(osmium.osm.mutable.Node(id=10 + number, location=(lon, 60.169)))
            writer.add_node(osmium.osm.mutable.Node(id=20 + number, location=(lon, 60.171)))
        for number, street in [(1, "Mikonkatu"), (2, "Vironkatu")]:
            writer.add_way(osmium.osm.mutable.Way(id=number, nodes=[10 + number, 20 + number],
                                                  tags={"highway": "residential", "name": street}))


def test_a_typo_that_fits_two_streets_equally_is_not_called_the_house(tmp_path):
    _two_streets(tmp_path / "two.osm.pbf")
    build_address_index(tmp_path / "two.osm.pbf", tmp_path / "addresses.db")
    index = AddressIndex.open(tmp_path / "addresses.db")

    exact = index.locate(Address("Vironkatu 5", "Helsinki", "", ""))
    either = index.locate(Address("Mironkatu 5", "Helsinki", "", ""))  # one letter from both

    assert exact.precision == GeoPrecision.ROOFTOP
    assert either.precision == GeoPrecision.STREET and either.confidence < 0.5


EAST_222_M = 0.002 / math.cos(math.radians(45.522))  # degrees of longitude as long as 0.002 of latitude


def _interpolation_line(path):
    """Maple Street 2 and 10 at the ends of a mapped even-numbers interpolation line: 222 m north, then 222 m east."""
    with osmium.SimpleWriter(str(path)) as writer:
        writer.add_node(osmium.osm.mutable.Node(id=1, location=(-122.680, 45.520), tags={
            "addr:street": "Maple Street", "addr:housenumber": "2", "addr:postcode": "97205", "addr:city": "Portland"}))
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(-122.680, 45.522)))
        writer.add_node(osmium.osm.mutable.Node(id=3, location=(-122.680 + EAST_222_M, 45.522), tags={
            "addr:street": "Maple Street", "addr:housenumber": "10"}))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags={"addr:interpolation": "even"}))
        writer.add_way(osmium.osm.mutable.Way(id=2, nodes=[1, 3], tags={"highway": "residential", "name": "Maple Street"}))


def test_numbers_along_a_mapped_interpolation_line_are_interpolated_not_houses(tmp_path):
    _interpolation_line(tmp_path / "maple.osm.pbf")
    built = build_address_index(tmp_path / "maple.osm.pbf", tmp_path / "addresses.db")
    index = AddressIndex.open(tmp_path / "addresses.db")

    end = index.locate(Address("2 Maple St", "Portland", "", "US"))
    middle = index.locate(Address("6 maple street", "Portland", "97205", ""))  # half way: the corner
    three_quarters = index.locate(Address("Maple Street 8", "Portland", "", ""))
    quarter = index.locate(Address("4 Maple St.", "", "", ""))

    assert built["interpolated"] == 3 and [p.housenumber for p in index.points()] == ["2", "10"]
    assert end.precision == GeoPrecision.ROOFTOP
    assert middle.precision == GeoPrecision.INTERPOLATED and middle.confidence < end.confidence
    assert (middle.lat, middle.lon) == pytest.approx((45.522, -122.680), abs=1e-5)
    assert quarter.precision == GeoPrecision.INTERPOLATED
    assert (quarter.lat, quarter.lon) == pytest.approx((45.521, -122.680), abs=1e-5)
    assert (three_quarters.lat, three_quarters.lon) == pytest.approx((45.522, -122.680 + EAST_222_M / 2), abs=1e-5)
