#!/usr/bin/env bash
# Every benchmark in turn (each writes bench/results/<name>-<date>.{json,md} with machine and date).
# Heavy: the 10M-span ones generate their data first. Run one with `npm run bench:<name>`.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in ingest lineage sla exceptions demo reconcile; do
	echo "── bench:$b ──"
	npm run --silent "bench:$b"
done
