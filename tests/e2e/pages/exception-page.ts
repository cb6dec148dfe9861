/** Page object for /exceptions/<id>: its state, the action forms, the history. */
import { expect, type Page } from '@playwright/test';

export class ExceptionPage {
	constructor(readonly page: Page) {}

	async open(id: string) {
		await this.page.goto(`/exceptions/${id}`);
	}

	state() {
		return this.page.getByTestId('state');
	}

	form(action: string) {
		return this.page.getByTestId(`action-${action}`);
	}

	/** Fill the comment of an action form and submit it; waits for the state to read `expected`. */
	async act(action: string, comment: string, expected: string) {
		const f = this.form(action);
		await f.locator('textarea[name="comment"]').fill(comment);
		await f.locator('button[type="submit"]').click();
		await expect(this.state()).toHaveText(expected, { timeout: 15_000 });
	}

	history() {
		return this.page.getByTestId('history');
	}
}
