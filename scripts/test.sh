#!/usr/bin/env bash
# Every test: unit + integration (Vitest, real chDB), then end-to-end (Playwright in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
npx svelte-kit sync
npx vite build --logLevel warn
npx vitest run
npx playwright test
