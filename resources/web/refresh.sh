#!/bin/sh
# Re-fetch the map's bundled web assets and offline background from their published npm packages.
# Run from anywhere: sh resources/web/refresh.sh   (needs npm; writes only under resources/web/vendor and resources/basemap)
set -eu
LEAFLET=1.9.4
MARKERCLUSTER=1.5.3
TOPOJSON_CLIENT=3.1.0
WORLD_ATLAS=2.0.2

here=$(cd "$(dirname "$0")" && pwd)
vendor="$here/vendor"
basemap="$here/../basemap/world-atlas"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET" "leaflet.markercluster@$MARKERCLUSTER" \
    "topojson-client@$TOPOJSON_CLIENT" "world-atlas@$WORLD_ATLAS" >/dev/null
for name in leaflet leaflet.markercluster topojson-client world-atlas; do
    mkdir -p "$name" && tar xzf "$name"-*.tgz -C "$name"
done

rm -rf "$vendor" "$basemap"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.markercluster" "$vendor/topojson-client" "$basemap"
cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css leaflet/package/LICENSE "$vendor/leaflet/"
cp leaflet/package/dist/images/*.png "$vendor/leaflet/images/"
cp leaflet.markercluster/package/dist/leaflet.markercluster.js leaflet.markercluster/package/dist/MarkerCluster.css \
   leaflet.markercluster/package/dist/MarkerCluster.Default.css leaflet.markercluster/package/MIT-LICENCE.txt \
   "$vendor/leaflet.markercluster/"
cp topojson-client/package/dist/topojson-client.min.js topojson-client/package/LICENSE "$vendor/topojson-client/"
# Natural Earth 1:50m countries (public domain) as TopoJSON; the package's own code is ISC.
cp world-atlas/package/countries-50m.json world-atlas/package/LICENSE world-atlas/package/README.md "$basemap/"

cat > "$vendor/VERSIONS.txt" <<VERSIONS
leaflet $LEAFLET (BSD-2-Clause) https://www.npmjs.com/package/leaflet
leaflet.markercluster $MARKERCLUSTER (MIT) https://www.npmjs.com/package/leaflet.markercluster
topojson-client $TOPOJSON_CLIENT (ISC) https://www.npmjs.com/package/topojson-client
world-atlas $WORLD_ATLAS (ISC; data: Natural Earth, public domain) https://www.npmjs.com/package/world-atlas
VERSIONS
echo "refreshed: $(cat "$vendor/VERSIONS.txt" | cut -d' ' -f1-2 | tr '\n' ' ')"
