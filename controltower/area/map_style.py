"""The look of the area's street map: colours by land use, road classes with their widths per zoom, label fonts."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

TILE = 256  # pixels a side

LAND = (242, 239, 233)
WATER = (170, 211, 223)
BUILDING, BUILDING_EDGE = (217, 208, 201), (196, 182, 171)
LABEL_INK, LABEL_HALO = (51, 51, 51), (255, 255, 255)
AREA_COLOURS = {  # key=value of a closed way or multipolygon -> fill; drawn in this order (later on top)
    "landuse=residential": (224, 223, 223), "landuse=commercial": (242, 218, 217), "landuse=retail": (255, 214, 209),
    "landuse=industrial": (235, 219, 232), "landuse=railway": (235, 219, 232), "landuse=construction": (199, 199, 180),
    "amenity=school": (255, 255, 229), "amenity=university": (255, 255, 229), "amenity=hospital": (255, 255, 229),
    "amenity=parking": (238, 238, 238), "landuse=cemetery": (170, 203, 175), "landuse=grass": (205, 235, 176),
    "landuse=meadow": (205, 235, 176), "landuse=village_green": (205, 235, 176), "landuse=recreation_ground": (223, 252, 226),
    "leisure=park": (200, 250, 204), "leisure=garden": (205, 235, 176), "leisure=playground": (223, 252, 226),
    "leisure=pitch": (170, 224, 203), "leisure=sports_centre": (223, 252, 226), "natural=grassland": (205, 235, 176),
    "landuse=forest": (173, 209, 158), "natural=wood": (173, 209, 158), "natural=scrub": (200, 215, 171),
    "natural=beach": (255, 241, 186), "natural=sand": (245, 233, 198), "highway=pedestrian": (221, 221, 232),
    "place=square": (221, 221, 232), "man_made=pier": (242, 239, 233),
}
WATER_AREAS = {"natural=water", "waterway=riverbank", "landuse=reservoir", "landuse=basin", "natural=bay"}
GREEN_FOR_NAMES = {"leisure=park", "leisure=garden", "landuse=cemetery", "landuse=forest", "natural=wood"}


@dataclass(frozen=True)
class RoadStyle:
    rank: int  # drawing order and label priority: higher on top
    fill: tuple[int, int, int]
    casing: tuple[int, int, int]
    width_17: float  # pixels at zoom 17 (about the real width there)
    from_zoom: int  # not drawn below this zoom
    label_from: int  # names from this zoom


ROAD_STYLES = {
    "motorway": RoadStyle(9, (232, 146, 162), (220, 42, 103), 16, 5, 13),
    "trunk": RoadStyle(8, (249, 178, 156), (197, 72, 53), 15, 5, 13),
    "primary": RoadStyle(7, (252, 214, 164), (161, 107, 0), 14, 8, 14),
    "secondary": RoadStyle(6, (247, 250, 191), (112, 125, 5), 13, 9, 15),
    "tertiary": RoadStyle(5, (255, 255, 255), (143, 143, 143), 12, 10, 15),
    "residential": RoadStyle(4, (255, 255, 255), (180, 180, 180), 10, 12, 16),
    "unclassified": RoadStyle(4, (255, 255, 255), (180, 180, 180), 10, 12, 16),
    "living_street": RoadStyle(4, (237, 237, 237), (180, 180, 180), 9, 13, 16),
    "pedestrian": RoadStyle(3, (221, 221, 232), (153, 153, 170), 8, 13, 16),
    "service": RoadStyle(2, (255, 255, 255), (190, 190, 190), 5, 14, 17),
    "track": RoadStyle(1, (153, 102, 51), (153, 102, 51), 1.5, 15, 99),
    "footway": RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.6, 15, 99),
    "cycleway": RoadStyle(1, (60, 60, 240), (255, 255, 255), 1.6, 15, 99),
    "path": RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.4, 15, 99),
    "steps": RoadStyle(1, (250, 128, 114), (255, 255, 255), 2.5, 16, 99),
}
for _link in ("motorway", "trunk", "primary", "secondary", "tertiary"):
    _style = ROAD_STYLES[_link]
    ROAD_STYLES[f"{_link}_link"] = RoadStyle(_style.rank, _style.fill, _style.casing, _style.width_17 * 0.7,
                                             max(_style.from_zoom, 12), 99)
ROAD_STYLES["sidewalk"] = RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.2, 17, 99)  # beside a street: only up close
ROAD_STYLES["road"] = ROAD_STYLES["unclassified"]
ROAD_STYLES["bridleway"] = ROAD_STYLES["path"]
ROAD_STYLES["corridor"] = ROAD_STYLES["footway"]
THIN = {"footway", "sidewalk", "cycleway", "path", "steps", "track", "bridleway", "corridor"}  # dashed, no casing
PLACE_SIZES = {"city": (11, 14, 18), "town": (11, 15, 16), "suburb": (12, 16, 15), "quarter": (13, 16, 14),
               "neighbourhood": (14, 17, 13)}  # place -> (from zoom, to zoom, text px)


def road_width(style: RoadStyle, zoom: int) -> float:
    """Pixels (at 1x) for a road at a zoom: its real width at 17 and above, shrinking slower than the map below."""
    if zoom >= 17:
        return style.width_17 * 2 ** (zoom - 17)
    return max(0.6, style.width_17 * 0.62 ** (17 - zoom))


_FONTS: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}


def fonts_folder() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) / "resources" if frozen else Path(__file__).resolve().parents[2] / "resources"
    return root / "fonts" / "dejavu"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    key = (bold, size)
    if key not in _FONTS:
        name = "DejaVuSansCondensed-Bold.ttf" if bold else "DejaVuSansCondensed.ttf"
        _FONTS[key] = ImageFont.truetype(str(fonts_folder() / name), size)
    return _FONTS[key]
