"""The live map: a Leaflet page served from the app's own ct:// scheme, fed with features through a bridge."""
from .scheme import register_schemes  # noqa: F401
from .view import MapView  # noqa: F401
from .offline import OfflineAreaDialog  # noqa: F401
