"""The road graph: built from an extract, one-ways and turn restrictions kept, rush hour slower than night, points
off the roads or outside the area handled in words, and sane figures on the shipped Helsinki extract."""
from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from controltower.area.graph import CIRCUITY, OutsideArea, RoadGraph, _haversine_m
from controltower.area.roads import UTURN_PENALTY_S, build_road_graph, parse_maxspeed, travel_direction
from controltower.area.speeds import FREE_FLOW_KMH, RUSH_HOUR_FACTORS, TRAFFIC_LIGHT_S, SpeedProfile

from .osm_files import at, write_extract

HELSINKI_TZ = ZoneInfo("Europe/Helsinki")
NIGHT, RUSH = 3, 8
RESIDENTIAL_MS = FREE_FLOW_KMH["residential"] / 3.6


def graph_of(tmp_path, nodes, ways, relations=(), node_tags=None) -> RoadGraph:
    pbf = write_extract(tmp_path / "area.osm.pbf", nodes, ways, relations, node_tags)
    build_road_graph(pbf, tmp_path / "roads.npz")
    return RoadGraph.load(tmp_path / "roads.npz")


# A 200 m one-way street (1 -> 2, eastwards) closed into a loop by a two-way street round the block (2-3-4-1).
BLOCK = {1: (0, 0), 2: (200, 0), 3: (200, 100), 4: (0, 100)}
ONE_WAY = [(10, [1, 2], {"highway": "residential", "oneway": "yes"}),
           (11, [2, 3, 4, 1], {"highway": "residential"})]


def test_a_one_way_street_is_driven_its_way_and_the_way_back_goes_round_the_block(tmp_path):
    graph = graph_of(tmp_path, BLOCK, ONE_WAY)
    a, b = at(50, 0), at(150, 0)

    m = graph.matrix([a, b], NIGHT)

    assert m.distance_m[0, 1] == pytest.approx(100, abs=1)  # along the one-way
    assert m.distance_m[1, 0] == pytest.approx(50 + 100 + 200 + 100 + 50, abs=2)  # round the block
    assert m.duration_s[0, 1] == math.ceil(100 / RESIDENTIAL_MS)
    assert not m.straight_line.any() and m.notes == ()


def test_oneway_tags_read_as_osm_means_them():
    assert travel_direction({"oneway": "yes"}) == 1 and travel_direction({"oneway": "-1"}) == -1
    assert travel_direction({"highway": "primary", "junction": "roundabout"}) == 1
    assert travel_direction({"highway": "motorway"}) == 1
    assert travel_direction({"highway": "motorway", "oneway": "no"}) == 0
    assert travel_direction({"highway": "residential"}) == 0
    assert [parse_maxspeed(v) for v in ("50", "30 mph", "FI:urban", "walk", "none", None)] == [50, 48, 50, 7, 0, 0]


def test_rush_hour_is_slower_than_night_by_the_profile(tmp_path):
    graph = graph_of(tmp_path, BLOCK, ONE_WAY)
    points = [at(50, 0), at(150, 0), at(200, 50)]

    night = graph.matrix(points, datetime(2026, 12, 7, 3, 0, tzinfo=HELSINKI_TZ))
    rush = graph.matrix(points, datetime(2026, 12, 7, 8, 0, tzinfo=HELSINKI_TZ))

    off_diagonal = ~np.eye(3, dtype=bool)
    assert (rush.duration_s[off_diagonal] > night.duration_s[off_diagonal]).all()
    assert (rush.distance_m == night.distance_m).all()  # same streets, slower
    # A residential street feels half the rush main roads feel.
    assert rush.duration_s[0, 1] == math.ceil(100 / (RESIDENTIAL_MS * (1 - 0.5 * (1 - RUSH_HOUR_FACTORS[RUSH]))))
    # A shop that finds its mornings worse says so, and the times follow.
    worse = SpeedProfile().with_rush(0.4)
    assert graph.matrix(points, RUSH, worse).duration_s[0, 1] == math.ceil(100 / (RESIDENTIAL_MS * 0.7))
    # A span of hours is planned at its slowest hour.
    assert (graph.matrix(points, (3, 10)).duration_s == rush.duration_s).all()


def test_a_main_road_feels_the_whole_rush(tmp_path):
    main = [(10, [1, 2], {"highway": "primary", "oneway": "yes"}), (11, [2, 3, 4, 1], {"highway": "primary"})]
    graph = graph_of(tmp_path, BLOCK, main)
    points = [at(50, 0), at(150, 0)]

    night, rush = graph.matrix(points, NIGHT), graph.matrix(points, RUSH)

    primary_ms = FREE_FLOW_KMH["primary"] / 3.6
    assert night.duration_s[0, 1] == math.ceil(100 / primary_ms)
    assert rush.duration_s[0, 1] == math.ceil(100 / (primary_ms * RUSH_HOUR_FACTORS[RUSH]))


def test_two_stops_at_one_door_are_no_drive_apart(tmp_path):
    graph = graph_of(tmp_path, BLOCK, ONE_WAY)
    door = at(60, 30)  # 30 m off the one-way street

    m = graph.matrix([door, door, at(150, 0)], NIGHT)

    assert m.distance_m[0, 1] == m.distance_m[1, 0] == 0 and m.duration_s[0, 1] == 0
    assert m.distance_m[0, 2] == pytest.approx(30 + 90, abs=2)  # out to the street, then along it


def test_a_traffic_light_on_the_way_costs_its_wait(tmp_path):
    lights = {**BLOCK, 9: (100, 0)}  # a light half-way along the one-way street
    graph = graph_of(tmp_path, lights, [(10, [1, 9, 2], {"highway": "residential", "oneway": "yes"}), ONE_WAY[1]],
                     node_tags={9: {"highway": "traffic_signals"}})

    m = graph.matrix([at(50, 0), at(150, 0), at(80, 0)], NIGHT)

    assert graph.meta["traffic_lights"] == 1
    assert m.duration_s[0, 1] == math.ceil(100 / RESIDENTIAL_MS + TRAFFIC_LIGHT_S)  # through the light
    assert m.distance_m[0, 1] == pytest.approx(100, abs=1)
    assert m.duration_s[0, 2] == math.ceil(30 / RESIDENTIAL_MS)  # stops before it
    assert m.duration_s[1, 2] == math.ceil(m.distance_m[1, 2] / RESIDENTIAL_MS)  # round the block, to before it


def test_a_tagged_speed_limit_below_the_class_speed_slows_the_street(tmp_path):
    slow = [(10, [1, 2], {"highway": "residential", "oneway": "yes", "maxspeed": "10"}), ONE_WAY[1]]
    graph = graph_of(tmp_path, BLOCK, slow)

    m = graph.matrix([at(50, 0), at(150, 0)], NIGHT)

    assert m.duration_s[0, 1] == math.ceil(100 / (10 / 3.6))


# A junction C with streets to the west, east (a dead end) and north; the van comes from the west.
JUNCTION = {1: (-200, 0), 2: (0, 0), 3: (200, 0), 4: (0, 200)}
STREETS = [(20, [1, 2], {"highway": "residential"}), (21, [2, 3], {"highway": "residential"}),
           (22, [2, 4], {"highway": "residential"})]


@pytest.mark.parametrize("restriction,to_way", [("no_left_turn", 22), ("only_straight_on", 21)])
def test_a_turn_restriction_sends_the_van_round(tmp_path, restriction, to_way):
    relation = (100, [("w", 20, "from"), ("n", 2, "via"), ("w", to_way, "to")],
                {"type": "restriction", "restriction": restriction})
    west, north = at(-100, 0), at(0, 100)
    free = graph_of(tmp_path / "free", JUNCTION, STREETS).matrix([west, north], NIGHT)
    graph = graph_of(tmp_path / "restricted", JUNCTION, STREETS, [relation])

    m = graph.matrix([west, north], NIGHT)

    assert graph.meta["turn_restrictions"] == 1
    assert free.distance_m[0, 1] == pytest.approx(200, abs=1)  # the left turn, when allowed
    # Forbidden: on to the dead end in the east, turn round there, back and north.
    assert m.distance_m[0, 1] == pytest.approx(100 + 200 + 200 + 100, abs=2)
    assert m.duration_s[0, 1] >= 600 / RESIDENTIAL_MS + UTURN_PENALTY_S
    assert m.distance_m[1, 0] == pytest.approx(200, abs=1)  # coming from the north the turn is not restricted


def test_a_way_round_far_beyond_the_stops_is_still_found(tmp_path):
    # The only way back along a short one-way goes 6 km north and back: beyond the district searched first.
    nodes = {1: (0, 0), 2: (200, 0), 3: (200, 6000), 4: (0, 6000), 5: (300, 6000)}
    ways = [(10, [1, 2], {"highway": "residential", "oneway": "yes"}), (11, [2, 3, 4, 1], {"highway": "residential"}),
            (12, [3, 5], {"highway": "residential"})]
    graph = graph_of(tmp_path, nodes, ways)

    m = graph.matrix([at(50, 0), at(150, 0)], NIGHT)

    assert not m.straight_line.any()
    assert m.distance_m[1, 0] == pytest.approx(50 + 6000 + 200 + 6000 + 50, abs=5)


def test_a_point_far_from_any_road_is_estimated_in_a_straight_line_and_said_so(tmp_path):
    # An island of road 1.5 km away (no way onto it) makes the area larger; the point beside it is 1.3 km from
    # any road a van can reach and leave again.
    nodes = {**BLOCK, 7: (1500, 0), 8: (1500, 100)}
    graph = graph_of(tmp_path, nodes, ONE_WAY + [(12, [7, 8], {"highway": "residential"})])
    points = [at(50, 0), at(1490, 50), at(150, 0)]

    m = graph.matrix(points, NIGHT)

    assert m.straight_line[0, 1] and m.straight_line[1, 2] and not m.straight_line[0, 2]
    crow = _haversine_m(*np.array([points[0], points[1]]).T)[0, 1]
    assert m.distance_m[0, 1] == round(crow * CIRCUITY)
    assert m.duration_s[0, 1] > 0
    assert "straight-line estimate" in m.notes[0]


def test_a_point_on_a_one_way_dead_end_is_served_from_the_road_it_can_leave_by(tmp_path):
    # A 100 m one-way spur out of the block (2 -> 5) ends nowhere: a van on it could never come back.
    nodes = {**BLOCK, 5: (300, 0)}
    graph = graph_of(tmp_path, nodes, ONE_WAY + [(13, [2, 5], {"highway": "residential", "oneway": "yes"})])

    m = graph.matrix([at(50, 0), at(280, 0)], NIGHT)

    assert not m.straight_line.any()
    assert m.distance_m[0, 1] == pytest.approx(150 + 80, abs=2)  # to corner 2, then the 80 m to the point


def test_stops_outside_the_area_are_refused_in_words(tmp_path):
    graph = graph_of(tmp_path, BLOCK, ONE_WAY)

    with pytest.raises(OutsideArea) as caught:
        graph.matrix([at(50, 0), at(50_000, 0), at(0, 9_000)], NIGHT)

    assert caught.value.indexes == (1, 2)
    assert "2 of the points (number 2, 3) are outside the area of the street map (area.osm.pbf)" in str(caught.value)


def test_an_extract_without_roads_is_refused(tmp_path):
    pbf = write_extract(tmp_path / "paths.osm.pbf", BLOCK, [(10, [1, 2, 3], {"highway": "footway"})])

    with pytest.raises(ValueError, match="no roads a van can drive on"):
        build_road_graph(pbf, tmp_path / "roads.npz")


def test_a_damaged_graph_file_is_refused_in_words(tmp_path):
    graph_of(tmp_path, BLOCK, ONE_WAY)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes((tmp_path / "roads.npz").read_bytes()[:3000])

    with pytest.raises(ValueError, match="The road graph damaged.npz can't be read .*: build the area again."):
        RoadGraph.load(damaged)


# ----- the shipped extract -----
@pytest.fixture(scope="module")
def helsinki_graph(tmp_path_factory):
    from .conftest import HELSINKI

    folder = tmp_path_factory.mktemp("helsinki")
    seen = []
    built = build_road_graph(HELSINKI, folder / "roads.npz", lambda stage, done, total: seen.append(stage))
    assert {"reading", "splitting", "turns", "writing"} <= set(seen)
    return built, RoadGraph.load(folder / "roads.npz")


def test_helsinki_has_its_one_ways_and_turn_restrictions(helsinki_graph):
    built, graph = helsinki_graph

    assert built["nodes"] > 800 and built["arcs"] > 1400
    assert built["one_way_segments"] > 300  # the centre's one-way grid
    assert built["turn_restrictions"] > 30
    assert graph.meta["bbox"][0] == pytest.approx(60.164, abs=0.001)


def test_helsinki_road_distances_are_never_shorter_than_the_crow_flies(helsinki_graph):
    _built, graph = helsinki_graph
    south, west, north, east = graph.meta["bbox"]
    rng = np.random.default_rng(20)
    points = list(zip(rng.uniform(south, north, 120), rng.uniform(west, east, 120)))

    night, rush = graph.matrix(points, NIGHT), graph.matrix(points, RUSH)

    crow = _haversine_m(*np.array(points).T)
    assert (night.distance_m >= np.floor(crow)).all()
    assert not night.straight_line.any()
    off_diagonal = ~np.eye(len(points), dtype=bool)
    assert (rush.duration_s[off_diagonal] > night.duration_s[off_diagonal]).all()
    # One-ways make there and back differ, but not wildly on a city grid.
    ratio = night.distance_m[off_diagonal] / night.distance_m.T[off_diagonal]
    assert 0.8 < np.median(ratio) < 1.25
    # Across town the streets are longer than the straight line by about the usual city circuity.
    across = crow > 500
    assert 1.1 < np.median(night.distance_m[across] / crow[across]) < 1.8
