"""The forecast area: orders expected per zone and option, and the vans, couriers and slot caps they call for."""
from .view import ForecastView  # noqa: F401
