/** Runbook markdown → HTML with raw HTML escaped (a runbook author cannot inject script into the console). */
import { Marked } from 'marked';

const escapeHtml = (s: string) =>
	s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const md = new Marked({
	gfm: true,
	renderer: {
		html({ text }) {
			return escapeHtml(text);
		},
		link({ href, title, tokens }) {
			const label = this.parser.parseInline(tokens);
			// only http(s), mailto and relative links; javascript: and data: become plain text
			if (!/^(https?:|mailto:|\/|#)/i.test(href)) return label;
			const t = title ? ` title="${escapeHtml(title)}"` : '';
			return `<a href="${escapeHtml(href)}"${t} rel="noopener noreferrer">${label}</a>`;
		},
		image({ text }) {
			return escapeHtml(text);
		}
	}
});

export function renderInstructions(markdown: string): string {
	return md.parse(markdown, { async: false }) as string;
}
