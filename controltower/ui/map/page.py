"""The map page, built once with folium against the bundled Leaflet; data arrives later through the bridge."""
from __future__ import annotations

from functools import lru_cache

# Everything the page loads, all through ct:// (folium's defaults point at public CDNs).
PAGE_JS = [
    ("leaflet", "ct://app/vendor/leaflet/leaflet.js"),
    ("markercluster", "ct://app/vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ("topojson", "ct://app/vendor/topojson-client/topojson-client.min.js"),
    ("qwebchannel", "ct://app/qwebchannel.js"),
    ("controltower", "ct://app/map.js"),
]
PAGE_CSS = [
    ("leaflet_css", "ct://app/vendor/leaflet/leaflet.css"),
    ("markercluster_css", "ct://app/vendor/leaflet.markercluster/MarkerCluster.css"),
    ("controltower_css", "ct://app/map.css"),
]
# Scripts only from the app; inline only for folium's own bootstrap; no network connections at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src ct: 'unsafe-inline'; style-src ct: 'unsafe-inline'; "
    "img-src ct: data: blob:; connect-src ct:; font-src ct: data:"
)


@lru_cache(maxsize=1)
def page_html() -> bytes:
    """The page's HTML; the same for every map, so built once per process."""
    # folium (and the pandas it pulls in) loads here, after the window's first paint, not at import.
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class _StartControlTower(MacroElement):
        """Hands folium's map object to map.js once folium has created it."""

        _template = Template("""
            {% macro script(this, kwargs) %}
                CT.init({{ this._parent.get_name() }});
            {% endmacro %}
        """)

    world = folium.Map(location=[40, -30], zoom_start=3, min_zoom=3, max_zoom=19, tiles=None, control_scale=True,
                       world_copy_jump=True)
    world.default_js = PAGE_JS
    world.default_css = PAGE_CSS
    csp = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    world.get_root().header.add_child(Element(csp), name="csp", index=0)
    world.add_child(_StartControlTower())
    return world.get_root().render().encode("utf-8")
