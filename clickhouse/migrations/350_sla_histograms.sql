-- Quantile histograms a console can merge in its own memory (src/lib/server/sla/live.ts): beside each
-- quantilesDD state of the transaction and milestone aggregates, the same DDSketch as a map from bin
-- key to count, with the mapping of ClickHouse's quantilesDD(0.01, …): key = toInt32(ln(x) / ln(γ)),
-- γ = 1.01 / 0.99, for x > 0; 1000000 + the key of −x for x < 0; 2000000 for zero (README.md,
-- "Live figures"). A quantile computed from the merged map equals quantilesDDMerge of the states.
--
-- Rows written before this migration have empty maps: the fold rebuilds every aggregate once when it
-- finds no 'aggregates@2' marker in sla_fold_state (fold.ts).
ALTER TABLE sla_tx_minute {{on_cluster}} ADD COLUMN IF NOT EXISTS E2EH Map(Int32, UInt32) AFTER E2E;
ALTER TABLE sla_tx_minute {{on_cluster}} ADD COLUMN IF NOT EXISTS DelayH Map(Int32, UInt32) AFTER Delay;
ALTER TABLE sla_tx_hour {{on_cluster}} ADD COLUMN IF NOT EXISTS E2EH Map(Int32, UInt32) AFTER E2E;
ALTER TABLE sla_tx_hour {{on_cluster}} ADD COLUMN IF NOT EXISTS DelayH Map(Int32, UInt32) AFTER Delay;
ALTER TABLE sla_milestone_minute {{on_cluster}} ADD COLUMN IF NOT EXISTS LatH Map(Int32, UInt32) AFTER Lat;
ALTER TABLE sla_milestone_hour {{on_cluster}} ADD COLUMN IF NOT EXISTS LatH Map(Int32, UInt32) AFTER Lat;
