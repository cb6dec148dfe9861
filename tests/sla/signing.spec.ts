import { describe, expect, it } from 'vitest';
import { alertHeaders, slackBody, standardBody } from '../../src/lib/server/alerts/notify';
import { sign, verify } from '../../src/lib/server/webhooks/signing';
import type { AlertEvent } from '../../src/lib/server/alerts/store';

describe('Standard Webhooks signing', () => {
	it('matches the specification test vector', () => {
		// https://github.com/standard-webhooks/standard-webhooks (reference implementations' test vector)
		const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
		const sig = sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
		expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
		const at = (ts: number) => ({ 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': String(ts) });
		expect(verify(secret, { ...at(1614265330), 'webhook-signature': `v1,bogus ${sig}` }, '{"test": 2432232314}', 300, 1614265330_000)).toBe(true);
		expect(verify(secret, { ...at(1614265331), 'webhook-signature': sig }, '{"test": 2432232314}', 300, 1614265331_000)).toBe(false);
	});

	it('sends id, timestamp, signature and an idempotency key; no signature without a secret', () => {
		const h = alertHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'alert_1', '{}', new Date(1_700_000_000_000));
		expect(h).toMatchObject({ 'webhook-id': 'alert_1', 'webhook-timestamp': '1700000000', 'idempotency-key': 'alert_1', 'content-type': 'application/json' });
		expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
		expect(alertHeaders(undefined, 'alert_1', '{}')['webhook-signature']).toBeUndefined();
	});
});

describe('alert payloads', () => {
	const e: AlertEvent = {
		alertKey: 'order-to-cash/burn-rate', rule: 'burn-rate', flow: 'order-to-cash', kind: 'burn-rate', status: 'resolved', event: 'resolved',
		value: 2.5, threshold: 14.4, summary: 'Order to cash: error budget burning', startedAt: '2026-11-23T10:00:00.000Z', at: '2026-11-23T11:00:00.000Z', delivered: []
	};
	it('Slack-compatible: text and a mrkdwn block with a dashboard link', () => {
		const b = slackBody(e, 'https://syncscope.example.com');
		expect(b.text).toMatch(/^:white_check_mark: Resolved: Order to cash/);
		expect(b.text).toContain('<https://syncscope.example.com/sla/order-to-cash|Open dashboard>');
		expect(b.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
	});
	it('standard body names the event type', () => {
		const b = standardBody(e, new Date('2026-11-23T11:00:00Z'));
		expect(b.type).toBe('syncscope.alert.resolved');
		expect(b.data).toMatchObject({ alertKey: 'order-to-cash/burn-rate', status: 'resolved', threshold: 14.4 });
	});
});
