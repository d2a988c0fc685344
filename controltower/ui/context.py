"""What the windows are given: the store, the event hub, the services and how the app was started."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..events import EventHub
from ..store import Database


@dataclass
class AppContext:
    db: Database
    hub: EventHub = field(default_factory=EventHub)
    demo: bool = False
    offline: bool = False
    data_dir: Path | None = None
    services: dict = field(default_factory=dict)  # area services by name, built in app.py
