#!/bin/sh
# Copy Leaflet and its marker-clustering plug-in (leaflet.markercluster) from node_modules
# (installed by `npm ci` from package-lock.json) into static/vendor/leaflet/ and
# static/vendor/leaflet.markercluster/, where Django serves them. The copied files are committed, so a
# normal install needs neither Node nor the network; run this only to change versions.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules/leaflet/dist ] || [ ! -d node_modules/leaflet.markercluster/dist ]; then
    npm ci --no-audit --no-fund
fi
dest=static/vendor/leaflet
rm -rf "$dest"
mkdir -p "$dest/images"
# The minified file ends with a sourceMappingURL comment naming leaflet.js.map, which is
# not shipped: the production static storage (a manifest of hashed names) rewrites that
# reference and fails on the missing file. The comment only serves a debugger; drop it.
sed '/^\/\/# sourceMappingURL=/d' node_modules/leaflet/dist/leaflet.js > "$dest/leaflet.js"
cp node_modules/leaflet/dist/leaflet.css "$dest/"
cp node_modules/leaflet/dist/images/*.png "$dest/images/"
cp node_modules/leaflet/LICENSE "$dest/LICENSE"
version=$(node -p "require('./node_modules/leaflet/package.json').version" 2>/dev/null || echo unknown)
echo "$version" > "$dest/VERSION"
echo "Leaflet $version copied to $dest"

# The clustering plug-in: its minified script (same sourceMappingURL comment, same reason)
# and its two stylesheets (layout and the default cluster icons).
dest=static/vendor/leaflet.markercluster
rm -rf "$dest"
mkdir -p "$dest"
sed '/^\/\/# sourceMappingURL=/d' node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
    > "$dest/leaflet.markercluster.js"
cp node_modules/leaflet.markercluster/dist/MarkerCluster.css "$dest/"
cp node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css "$dest/"
cp node_modules/leaflet.markercluster/MIT-LICENCE.txt "$dest/LICENSE"
version=$(node -p "require('./node_modules/leaflet.markercluster/package.json').version" 2>/dev/null || echo unknown)
echo "$version" > "$dest/VERSION"
echo "leaflet.markercluster $version copied to $dest"
