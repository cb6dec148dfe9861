/** Runbook files: validation with clear errors, matching, safe rendering, console versions. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { loadRunbookFiles, parseRunbook, runbooks, runbookHistory, saveRunbook, RunbookError } from '../../src/lib/server/runbooks/loader';
import { matchRunbook } from '../../src/lib/server/runbooks/match';
import { renderInstructions } from '../../src/lib/server/runbooks/render';
import { auditFor } from '../../src/lib/server/audit/log';

let t: TestDb;
beforeAll(async () => {
	t = await exceptionsDb();
});
afterAll(async () => t?.cleanup());

const valid = `id: test-rb
title: Test
match: { flow: order-to-cash }
owner: { team: Ops }
allowedActions: [retry, comment]
instructions: Retry it.
`;

describe('runbook files', () => {
	it('the shipped runbooks are valid', () => {
		const list = loadRunbookFiles('runbooks');
		expect(list.length).toBeGreaterThanOrEqual(4);
	});

	it('reports every problem with file, path and message', () => {
		const dir = mkdtempSync(join(tmpdir(), 'rb-'));
		writeFileSync(join(dir, 'a.yaml'), valid.replace('[retry, comment]', '[retry, explode]'));
		writeFileSync(join(dir, 'b.yaml'), 'id: b\ntitle: B\nowner: { team: X }\nallowedActions: [retry]\ninstructions: x\nreplay: { approval: amount }\n');
		writeFileSync(join(dir, 'c.yaml'), 'id: [unclosed');
		try {
			loadRunbookFiles(dir);
			expect.unreachable();
		} catch (e) {
			const err = e as RunbookError;
			expect(err.issues.some((i) => i.startsWith(join(dir, 'a.yaml')) && i.includes('allowedActions.1'))).toBe(true);
			expect(err.issues).toContain(`${join(dir, 'b.yaml')}: replay.amountAbove: required when approval is 'amount'`);
			expect(err.issues.some((i) => i.includes('c.yaml') && i.includes('not valid YAML'))).toBe(true);
		}
	});

	it('the most specific runbook wins', () => {
		const list = loadRunbookFiles('runbooks');
		const base = { flow: 'order-to-cash', step: 'erp.create-sales-order', errorClass: 'business', errorCode: 'CREDIT_HOLD' };
		expect(matchRunbook(list, base)?.runbook.id).toBe('o2c-credit-hold');
		expect(matchRunbook(list, { ...base, errorCode: 'OTHER' })?.runbook.id).toBe('o2c-erp-create-sales-order');
		expect(matchRunbook(list, { flow: 'item-master', step: 'x', errorClass: 'transport', errorCode: '' })?.runbook.id).toBe('any-transport');
		expect(matchRunbook(list, { flow: 'item-master', step: 'x', errorClass: 'validation', errorCode: '' })).toBeNull();
	});

	it('renders markdown with raw HTML escaped and unsafe links dropped', () => {
		const html = renderInstructions('**bold** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.com)');
		expect(html).toContain('<strong>bold</strong>');
		expect(html).not.toContain('<script');
		expect(html).not.toContain('<img');
		expect(html).not.toContain('javascript:');
		expect(html).toContain('&lt;script&gt;');
		expect(html).toContain('href="https://example.com"');
	});
});

describe('console versions', () => {
	it('each save is a new audited version and the newest wins over the file', async () => {
		const file = (await runbooks()).find((r) => r.runbook.id === 'any-transport')!;
		expect(file.version).toBe(0);
		const edited = file.yaml.replace('team: Integration team', 'team: Night shift');
		await saveRunbook(edited, users.admin, 'any-transport');
		await saveRunbook(edited.replace('Night shift', 'Day shift'), users.admin, 'any-transport');
		const now = (await runbooks()).find((r) => r.runbook.id === 'any-transport')!;
		expect(now).toMatchObject({ version: 2, runbook: { owner: { team: 'Day shift' } } });
		expect((await runbookHistory('any-transport')).map((h) => h.Version)).toEqual([2, 1]);
		expect((await auditFor('runbook', 'any-transport')).map((a) => a.Action)).toEqual(['runbook_save', 'runbook_save']);
	});

	it('refuses an invalid save with the reason, and an id change', async () => {
		await expect(saveRunbook('id: x\n', users.admin)).rejects.toThrow(/title/);
		await expect(saveRunbook(valid, users.admin, 'another-id')).rejects.toThrow(/cannot change/);
		expect(parseRunbook(valid, 'x').id).toBe('test-rb');
	});
});
