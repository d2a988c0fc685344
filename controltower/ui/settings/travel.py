"""Settings > Travel times: how fast the vans go on the shop's streets, and how much the rush slows them."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox

from ...services.routing import SpeedProfile
from ..setup.pages import SetupPage

# The road classes a shop is asked about, and the others that follow each (same share of the default).
ASKED = (("Motorways", "motorway", ("motorway_link", "trunk", "trunk_link")),
         ("Main roads", "primary", ("primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link")),
         ("Residential streets", "residential", ("unclassified", "road", "living_street", "service", "pedestrian")))


class TravelTimesPage(SetupPage):
    key, title_text = "travel", "Travel times"
    subtitle_text = ("With a street map of your area, routes are timed on its roads at these speeds. They are the "
                     "vans' average with the roads empty (junctions and lights included); in the rush hours "
                     "(7-9 and 16-18) main roads slow to the share below, side streets half as much.")

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.routing = core.routing
        form = QFormLayout()
        self.speeds: dict[str, QSpinBox] = {}
        for label, road_class, _followers in ASKED:
            box = QSpinBox()
            box.setRange(5, 130)
            box.setSuffix(" km/h")
            self.speeds[road_class] = box
            form.addRow(label, box)
        self.rush = QSpinBox()
        self.rush.setRange(10, 100)
        self.rush.setSuffix(" % of the empty-road speed")
        form.addRow("Slowest rush hour on main roads", self.rush)
        self.layout_.addLayout(form)
        note = QLabel("Without a street map (or with a routing server set), travel is estimated from straight lines.")
        note.setWordWrap(True)
        self.layout_.addWidget(note)
        self.finish_layout()
        self.load()

    def load(self) -> None:
        profile = self.routing.speed_profile()
        for road_class, box in self.speeds.items():
            box.setValue(round(profile.kmh(road_class)))
        self.rush.setValue(round(100 * min(profile.hourly_factors)))

    def profile(self) -> SpeedProfile:
        """The profile as the page shows it: each asked class's speed, the others scaled with it."""
        current, default = self.routing.speed_profile(), SpeedProfile()
        speeds = dict(current.free_flow_kmh)
        for _label, road_class, followers in ASKED:
            chosen = self.speeds[road_class].value()
            speeds[road_class] = chosen
            for follower in followers:
                speeds[follower] = max(1.0, round(default.kmh(follower) * chosen / default.kmh(road_class), 1))
        return SpeedProfile(speeds, current.hourly_factors).with_rush(self.rush.value() / 100)

    def save(self) -> None:
        self.routing.save_speed_profile(self.profile())
        self.load()

