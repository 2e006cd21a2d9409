#!/usr/bin/env bash
# Front-end libraries come from npm at build time into an ignored static folder
# (src/gonghui/static/vendor/); no third-party code is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/gonghui/static/vendor
stamp="$dest/.stamp-$({ sha256sum package.json package-lock.json 2>/dev/null || true; } | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
if ! command -v npm >/dev/null; then
  echo "npm is needed to fetch the front-end libraries (apt-get install npm)" >&2
  exit 1
fi
# package-lock.json is not committed: a stale local one (package.json changed) falls back to install
if [ -f package-lock.json ] && npm ci --silent --no-audit --no-fund; then :; else npm install --silent --no-audit --no-fund; fi
rm -rf "$dest"; mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/"
cp node_modules/qrcode-generator/dist/qrcode.js "$dest/"
cp node_modules/jsbarcode/dist/barcodes/JsBarcode.code128.min.js "$dest/"
cp node_modules/html5-qrcode/html5-qrcode.min.js "$dest/"
# the dashboard's charts (dashboard/static/dashboard/charts.js draws them)
cp node_modules/echarts/dist/echarts.min.js "$dest/"
# the H5 home tiles' icons (members.h5menu entries name one each)
mkdir -p "$dest/icons"
cp node_modules/lucide-static/icons/*.svg "$dest/icons/"
cp node_modules/lucide-static/LICENSE "$dest/icons/" 2>/dev/null || true
touch "$stamp"
