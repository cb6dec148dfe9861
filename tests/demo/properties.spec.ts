/**
 * Contract invariants over arbitrary seeds and volumes (fast-check): whatever the seed, every span
 * names a catalogue flow and one of its steps, failures and only failures are ERROR, and every
 * dead letter belongs to a failed span of the same message.
 */
import { readFileSync } from 'node:fs';
import { SpanStatusCode } from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { attr, backfilled } from './helpers';

const catalogue = parseCatalogue(readFileSync('config/flows.yaml', 'utf8'));
const stepsOf = new Map(catalogue.flows.map((f) => [f.id, new Set(f.steps.map((s) => s.id))]));
const NOW = Date.parse('2026-11-23T15:00:00Z');

describe('simulator invariants for any seed', () => {
	it('keeps the telemetry contract', async () => {
		await fc.assert(
			fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 7 }), async (seed, transactions, days) => {
				const e = await backfilled({ seed, now: NOW, transactions, days });
				try {
					const failedMessages = new Set<unknown>();
					for (const s of e.spans) {
						expect(stepsOf.get(String(attr(s, 'flow')))?.has(String(attr(s, 'step')))).toBe(true);
						expect(attr(s, 'correlation_id')).toBeTruthy();
						const failed = attr(s, 'outcome') === 'failed' || attr(s, 'outcome') === 'rejected';
						expect(s.status.code === SpanStatusCode.ERROR).toBe(failed);
						if (failed) failedMessages.add(attr(s, 'message_id'));
						expect(s.startTime[0] * 1000).toBeGreaterThanOrEqual(NOW - days * 86_400_000 - 1000);
					}
					for (const l of e.logs.filter((x) => x.eventName === 'integration.dead_letter')) {
						expect(failedMessages.has(l.attributes['integration.message_id'])).toBe(true);
					}
				} finally {
					await e.sim.shutdown();
				}
			}),
			{ numRuns: 25 }
		);
	});
});
