import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		alias: { $collector: 'collector' },
		// Content-Security-Policy on every page (docs/operations.md, "Content-Security-Policy").
		// mode 'auto': SvelteKit puts a per-response nonce on the inline script that starts the app
		// (a hash on prerendered pages), so script-src needs no 'unsafe-inline'. style-src keeps
		// 'unsafe-inline': Svelte's style attributes and style: directives and ECharts' tooltips write
		// inline styles, which a nonce cannot cover; styles cannot run code, and scripts stay locked.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'font-src': ['self', 'data:'],
				'connect-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};
