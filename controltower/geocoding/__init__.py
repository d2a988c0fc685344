"""Addresses to positions: providers (Nominatim, offline postcodes) behind a cache in the store. No Qt."""
from .base import Geocoder, GeocodingUnavailable, address_key  # noqa: F401
from .cache import CachedGeocoder  # noqa: F401
from .nominatim import NominatimGeocoder  # noqa: F401
from .offline import OfflinePostcodeGeocoder  # noqa: F401
from .service import GeocodeReport, UnplacedAddress, build_geocoder, geocode_orders  # noqa: F401
