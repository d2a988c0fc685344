"""The map page, built once with folium against the bundled Leaflet; data arrives later through the bridge."""
from __future__ import annotations

import base64
import hashlib
import re
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
# Scripts and styles only from the app, plus folium's own inline bootstrap named by its hash (never 'unsafe-inline':
# markup arriving in a name could not run a script or style of its own); no network connections at all. In the page's
# meta tag only: Qt lowercases a scheme reply's header values, which would spoil the hashes' base64.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src ct: {scripts}; style-src ct: {styles}; "
    "img-src ct: data: blob:; connect-src ct:; font-src ct: data:; base-uri 'none'; form-action 'none'"
)
_CSP_PLACEHOLDER = "ct-content-security-policy"
_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.DOTALL)


def source_hashes(html: str, tag: str) -> list[str]:
    """CSP hash sources ('sha256-...') for every inline <script> or <style> of a page, in page order."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode('utf-8')).digest()).decode()}'"
            for kind, attributes, body in _INLINE.findall(html) if kind == tag and "src=" not in (attributes or "")]


def content_security_policy(html: str) -> str:
    """The policy for this page: its own inline bootstrap allowed by hash, nothing else inline."""
    return CONTENT_SECURITY_POLICY.format(scripts=" ".join(source_hashes(html, "script")) or "'none'",
                                          styles=" ".join(source_hashes(html, "style")) or "'none'")


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
    csp = f'<meta http-equiv="Content-Security-Policy" content="{_CSP_PLACEHOLDER}">'
    world.get_root().header.add_child(Element(csp), name="csp", index=0)
    world.add_child(_StartControlTower())
    html = world.get_root().render()
    return html.replace(_CSP_PLACEHOLDER, content_security_policy(html), 1).encode("utf-8")
