#!/usr/bin/env bash
# Playwright cannot download its own browser here: use Debian's Chromium, installing it if missing.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
for c in /usr/bin/chromium /usr/bin/chromium-browser; do
	if [ -x "$c" ]; then exit 0; fi
done
if [ "$(id -u)" = "0" ]; then
	echo "installing Debian's chromium for the browser tests…"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
	echo "Chromium is missing: install it (apt-get install chromium) or set CHROMIUM_PATH" >&2
	exit 1
fi
