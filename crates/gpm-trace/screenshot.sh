#!/usr/bin/env bash
# Renders a gpm-trace HTML page to a PNG with headless Chromium (Debian: apt-get install -y
# chromium): screenshot.sh IN.html OUT.png [WIDTH,HEIGHT] (default 1600,900).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 IN.html OUT.png [WIDTH,HEIGHT]" >&2
    exit 2
fi
in=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1600,900}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "$0: no chromium found (apt-get install -y chromium)" >&2
    exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size="$size" \
    --screenshot="$out" "file://$in" >/dev/null 2>&1
test -s "$out"
echo "$out"
