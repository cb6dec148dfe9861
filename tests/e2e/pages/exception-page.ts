/** Page object for /exceptions/<id>: its state, the one action panel (one comment, a button per action), the history. */
import { expect, type Page } from '@playwright/test';

export class ExceptionPage {
	constructor(readonly page: Page) {}

	async open(id: string) {
		await this.page.goto(`/exceptions/${id}`);
	}

	state() {
		return this.page.getByTestId('state');
	}

	panel() {
		return this.page.getByTestId('action-panel');
	}

	/** The button that performs `action` (absent when the action is not offered). */
	button(action: string) {
		return this.page.locator(`[data-testid="action-panel"] button[name="action"][value="${action}"]`);
	}

	/** Write the comment, press the action's button; waits for the state to read `expected`. */
	async act(action: string, comment: string, expected: string) {
		await this.panel().locator('textarea[name="comment"]').fill(comment);
		await this.button(action).click();
		await expect(this.state()).toHaveText(expected, { timeout: 15_000 });
	}

	/** Open the payload editor and replace the payload with `text`. */
	async editPayload(text: string) {
		await this.page.getByTestId('edit-toggle').click();
		await this.page.getByTestId('payload-editor').fill(text);
	}

	history() {
		return this.page.getByTestId('history');
	}
}
