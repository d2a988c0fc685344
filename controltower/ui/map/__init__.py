"""The live map: a folium/Leaflet page served from the app's own ct:// scheme, fed with features through a bridge.

Wiring (app.py / main window):
    register_schemes()                      # first thing, before the QApplication exists
    view = MapView(open_tiles(db))          # controltower.maps.tiles.open_tiles: the user's tile source over the cache
    view.show_day(map_day(db, today))       # controltower.maps.features; a new day replaces every marker
    # Refreshes: plan in the worker that reads the day, apply on the UI thread; only changed stops travel and
    # are changed in place, so an open popup, the selection and the view stay where the user left them.
    state = view.state; run_in_thread(lambda: state.plan(map_day(db, today)), view.show_day)
    view.stopClicked.connect(orders.select_order); orders.ordersSelected.connect(view.select_orders)
    view.stopMoved.connect(save_corrected_position)   # persist + audit; the user has already confirmed
"""
from .offline import OfflineAreaDialog  # noqa: F401
from .scheme import register_schemes  # noqa: F401
from .view import MapView  # noqa: F401
