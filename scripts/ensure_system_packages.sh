#!/bin/sh
# Debian packages the service and its tests need besides PostgreSQL/PostGIS (which `zoning db up`
# installs). Idempotent: installs only what is missing, as root via apt-get; otherwise says what
# to install and fails.
#   runtime: fonts-wqy-microhei (the CJK TrueType font embedded in PDF reports)
#   test:    runtime + chromium and fonts-noto-cjk (browser tests, screenshots), gdal-bin (OGC API tests)
set -e
mode="${1:-runtime}"
missing=""
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$missing fonts-wqy-microhei"
if [ "$mode" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v ogr2ogr >/dev/null 2>&1 || missing="$missing gdal-bin"
  [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -qi cjk || missing="$missing fonts-noto-cjk"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing$missing (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
else
  echo "missing Debian packages:$missing — run as root, or: sudo apt-get install$missing" >&2
  exit 1
fi
