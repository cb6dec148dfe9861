#!/usr/bin/env bash
# Every test: unit + integration (Vitest, real chDB), the integration tier once more over HTTP,
# then end-to-end (Playwright in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
npx svelte-kit sync
npx vite build --logLevel warn
npx vitest run
# The integration tier again, through the HTTP transport (@clickhouse/client against the
# ClickHouse HTTP test fixture, tests/fixtures/clickhouse-http.ts): the server path runs the same SQL.
echo "── integration tests through the HTTP transport (SYNCSCOPE_TEST_TRANSPORT=http) ──"
SYNCSCOPE_TEST_TRANSPORT=http npx vitest run .int.spec.ts
npx playwright test
