import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	// chdb is a native addon: never bundle it, and never load it during the build's route analysis.
	ssr: { external: ['chdb', '@node-rs/argon2', '@grpc/grpc-js'] },
	test: {
		include: ['tests/**/*.spec.ts', 'src/**/*.spec.ts', 'collector/**/*.spec.ts'],
		exclude: ['tests/e2e/**', 'node_modules/**'],
		// chdb crashes the process when loaded in a worker thread that exits: forks only.
		pool: 'forks',
		// tests that drive the built console (tests/helpers/app.ts) load build/ with Node itself
		server: { deps: { external: [/\/build\//] } },
		testTimeout: 60_000,
		hookTimeout: 120_000
	}
});
