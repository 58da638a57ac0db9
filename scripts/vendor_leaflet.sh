#!/bin/sh
# Copy Leaflet from node_modules (installed by `npm ci` from package-lock.json) into
# static/vendor/leaflet/, where Django serves it. The copied files are committed, so a
# normal install needs neither Node nor the network; run this only to change versions.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules/leaflet/dist ]; then
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
