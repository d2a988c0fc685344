"""The map's Qt-free parts: features of the day, what changed since the page last drew, and the tile cache."""
