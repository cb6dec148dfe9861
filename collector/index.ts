/**
 * Collector wiring and lifecycle (placeholder interface; the OTLP receiver is being built).
 */
import type { Config } from '../src/lib/server/config';
import type { Db } from '../src/lib/server/db';

export interface Collector {
	httpPort: number;
	grpcPort: number;
	/** stop accepting (503), flush what was accepted, close listeners */
	shutdown(): Promise<void>;
}

export async function startCollector(_opts: { config: Config; db: Db }): Promise<Collector> {
	throw new Error('collector not implemented yet');
}
