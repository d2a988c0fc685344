"""URL schemes the app serves to its web views; they must be registered before the QApplication exists."""
from __future__ import annotations

_registered = False


def register_schemes() -> None:
    """Register every custom scheme once (the map's `ct://` among them, when the map is installed)."""
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from .map import register_schemes as register_map_schemes
    except ImportError:
        return
    register_map_schemes()
