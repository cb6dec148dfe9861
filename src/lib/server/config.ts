/**
 * The one configuration module: every setting, its default and its validation in one zod schema.
 * Read from the environment and, optionally, a JSON/YAML file named by SYNCSCOPE_CONFIG
 * (environment wins). Fails fast at start with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z
	.union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', ''])])
	.transform((v) => v === true || v === '1' || v === 'true' || v === 'yes');
/** Attribute names go into materialized-view DDL as literals, so they are restricted. */
export const attributeName = z
	.string()
	.regex(/^[A-Za-z0-9_.:/-]{1,200}$/, 'attribute names may use letters, digits and _ . : / -');

function isIpOrCidr(s: string): boolean {
	const [address, bits, extra] = s.split('/');
	const version = isIP(address);
	if (!version || extra !== undefined) return false;
	return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

/** http is only accepted for a provider on this machine (development, tests); anything else needs https */
function httpsOrLoopback(u: string): boolean {
	try {
		const url = new URL(u);
		return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
	} catch {
		return false;
	}
}

/**
 * One OpenID Connect provider (auth/oidc/, docs/sso.md). The client secret comes from the config
 * file, SYNCSCOPE_OIDC_<ID>_CLIENT_SECRET, or the file clientSecretFile names (loadConfig).
 */
export const oidcProviderSchema = z
	.object({
		/** in the redirect URI (/auth/oidc/<id>/callback) and stored with each SSO user */
		id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and -, at most 32'),
		/** the button says "Sign in with <label>" */
		label: z.string().trim().min(1).max(60),
		issuer: z.string().url().refine(httpsOrLoopback, 'https (http only for localhost / 127.0.0.1)'),
		clientId: z.string().min(1),
		clientSecret: z
			.string({ error: 'missing: set clientSecret, SYNCSCOPE_OIDC_<ID>_CLIENT_SECRET or clientSecretFile' })
			.min(1, 'missing: set clientSecret, SYNCSCOPE_OIDC_<ID>_CLIENT_SECRET or clientSecretFile'),
		clientSecretFile: z.string().optional(),
		scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token')).default(['openid', 'email', 'profile']).refine((s) => s.includes('openid'), 'must include openid'),
		/** the claim holding group (or role, or domain) values; a dotted path reaches nested claims (realm_access.roles) */
		groupsClaim: z.string().regex(/^[A-Za-z0-9_:./-]{1,100}$/).default('groups'),
		/** the claim with the user's email (Entra ID without the optional email claim: preferred_username) */
		emailClaim: z.string().regex(/^[A-Za-z0-9_:./-]{1,100}$/).default('email'),
		/** role → values of groupsClaim that grant it; the highest granted role wins; none: sign-in refused */
		roleMapping: z
			.object({
				viewer: z.array(z.string().min(1)).default([]),
				operator: z.array(z.string().min(1)).default([]),
				approver: z.array(z.string().min(1)).default([]),
				admin: z.array(z.string().min(1)).default([])
			})
			.strict()
			.refine((m) => Object.values(m).some((v) => v.length > 0), 'map at least one group or claim value to a role'),
		/** offer the provider's end-session (RP-initiated logout) after signing out of Syncscope, where it has one */
		endSession: z.boolean().default(true)
	})
	.strict();
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

export const configSchema = z.object({
	/** embedded chDB data directory (ignored when clickhouseUrl is set) */
	dataDir: z.string().min(1).default('./data'),
	clickhouseUrl: z.string().url().optional(),
	clickhouseUser: z.string().default('default'),
	clickhousePassword: z.string().default(''),
	clickhouseDatabase: z.string().regex(/^[A-Za-z0-9_]+$/).default('default'),
	/** cluster name for ON CLUSTER DDL (server mode only) */
	clickhouseCluster: z.string().regex(/^[A-Za-z0-9_]*$/).default(''),
	/** HTTP transport: abort a ClickHouse request after this long */
	clickhouseRequestTimeoutMs: positiveInt.default(60_000),
	/** HTTP transport: sockets per process */
	clickhouseMaxConnections: positiveInt.default(10),

	port: port.default(3000),
	host: z.string().default('0.0.0.0'),
	/** public origin of the console, used for CSRF checks and the Secure cookie flag */
	origin: z.string().url().optional(),
	/**
	 * reverse proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For names the client;
	 * empty: the client address is the socket peer and X-Forwarded-For is ignored (src/lib/server/request.ts)
	 */
	trustedProxies: z
		.union([z.string(), z.array(z.string())])
		.default([])
		.transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
		.pipe(z.array(z.string().refine(isIpOrCidr, 'an IP address or CIDR range, e.g. 10.0.0.0/8'))),

	otlpHttpPort: port.default(4318),
	otlpGrpcPort: port.default(4317),
	otlpHost: z.string().default('0.0.0.0'),
	/** `syncscope collector`: /healthz, /readyz, /metrics (the OpenTelemetry Collector's health_check port) */
	opsPort: port.default(13133),
	/** request body limit, applied before and after decompression */
	maxBodyBytes: positiveInt.default(20 * 1024 * 1024),
	/** group commit: wait at most this long for more requests to share an insert */
	batchLingerMs: z.coerce.number().int().min(0).default(20),
	/** group commit: flush when this many rows are waiting */
	batchMaxRows: positiveInt.default(50_000),
	/** back-pressure: refuse (429) when more than this many bytes of rows wait for insert */
	maxQueuedBytes: positiveInt.default(256 * 1024 * 1024),
	/** group commit: inserts in flight per table; while they run the next batch keeps growing */
	insertConcurrency: positiveInt.max(16).default(2),
	/** insert attempts (same dedup token each time) before answering 503 */
	insertAttempts: positiveInt.default(3),
	/** per item: a span or record later than this far in the future is rejected (partial success) */
	ingestMaxFutureMinutes: positiveInt.default(60),
	/** per value: longer attribute values are cut and marked with the original's size and SHA-256 */
	maxAttributeBytes: positiveInt.min(256).default(16 * 1024),
	/** per record: a longer log body (a dead letter's payload) is cut and marked the same way; a cut payload is not replayed */
	maxLogBodyBytes: positiveInt.min(1024).default(1024 * 1024),
	/** seconds clients are told to wait on 429/503 */
	retryAfterSeconds: positiveInt.default(5),
	/** require a per-source ingest token (see `syncscope ingest-token add`) */
	ingestAuth: bool.default(false),
	/** server mode: run the alert scheduler and the runbooks' auto-retry loop in this console (enable on one) */
	runScheduler: bool.default(false),

	ttlTracesDays: positiveInt.default(30),
	ttlLogsDays: positiveInt.default(30),
	ttlKeysDays: positiveInt.default(90),

	/** extra attribute names that feed the business-key index, per key name */
	keyAliases: z.record(z.string().regex(/^[a-z0-9_]{1,64}$/), z.array(attributeName)).default({}),

	/** host:port pairs action webhooks may reach although they resolve to private/loopback addresses */
	actionAllowlist: z
		.string()
		.default('')
		.transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
	/** base64 of 32 bytes that encrypts action-endpoint secrets; default: a key file in dataDir */
	secretKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of exactly 32 bytes').optional(),
	/** the audit log's signed head checkpoint (audit/checkpoint.ts); default <dataDir>/audit-head.json */
	auditHeadFile: z.string().min(1).optional(),
	/** webhook delivery attempts (with exponential back-off and jitter) before giving up */
	deliveryAttempts: positiveInt.default(5),
	deliveryBackoffMs: positiveInt.default(2000),
	deliveryTimeoutMs: positiveInt.default(10_000),
	/** runbook files (YAML), validated at start */
	runbooksDir: z.string().default('runbooks'),
	/** SLA: how far back a transaction may have started and still show activity in a window (days) */
	slaLookbackDays: positiveInt.default(8),
	/** SLA figures are at most this old when read (ms): the fold runs every half of it, and a read of older figures folds first; 0 = fold before every read */
	slaFreshnessMs: z.coerce.number().int().min(0).default(10_000),
	/** SLA: the folding process keeps the aggregates in memory for its dashboards (sla/live.ts); off: they read ClickHouse */
	slaLiveFigures: bool.default(true),
	/** alerts: evaluation interval, re-notify interval for a still-firing alert */
	alertIntervalSeconds: positiveInt.default(60),
	alertRenotifyMinutes: positiveInt.default(60),
	/** alert notification webhooks (Standard Webhooks signed; format 'slack' posts a Slack message body) */
	alertWebhooks: z
		.array(
			z.object({
				url: z.string().url(),
				secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'a whsec_<base64> secret').optional(),
				format: z.enum(['standard', 'slack']).default('standard'),
				flows: z.array(z.string()).optional()
			})
		)
		.default([]),
	/** when set, GET /metrics requires `Authorization: Bearer <token>` */
	metricsToken: z.string().min(16, 'use at least 16 characters').optional(),
	/** graceful shutdown: how long in-flight requests and queued rows may take before exit */
	shutdownTimeoutMs: positiveInt.default(10_000),
	/** at start, wait this long for ClickHouse to answer before giving up */
	startupTimeoutMs: z.coerce.number().int().min(0).default(60_000),

	/** OpenID Connect single sign-on providers (docs/sso.md); empty: local passwords only */
	oidcProviders: z.array(oidcProviderSchema).default([]),

	adminEmail: z.string().email().optional(),
	adminPassword: z.string().min(12).optional(),
	/** a session ends after this long without a request (sliding) … */
	sessionIdleMinutes: positiveInt.default(60),
	/** … and at the latest this long after sign-in, however active (absolute cap) */
	sessionAbsoluteHours: positiveInt.default(12),
	logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info')
});

export type Config = z.infer<typeof configSchema>;

const envNames: Record<keyof Config, string> = {
	dataDir: 'SYNCSCOPE_DATA_DIR',
	clickhouseUrl: 'CLICKHOUSE_URL',
	clickhouseUser: 'CLICKHOUSE_USER',
	clickhousePassword: 'CLICKHOUSE_PASSWORD',
	clickhouseDatabase: 'CLICKHOUSE_DATABASE',
	clickhouseCluster: 'CLICKHOUSE_CLUSTER',
	clickhouseRequestTimeoutMs: 'CLICKHOUSE_REQUEST_TIMEOUT_MS',
	clickhouseMaxConnections: 'CLICKHOUSE_MAX_CONNECTIONS',
	port: 'PORT',
	host: 'HOST',
	origin: 'ORIGIN',
	trustedProxies: 'SYNCSCOPE_TRUSTED_PROXIES',
	otlpHttpPort: 'OTLP_HTTP_PORT',
	otlpGrpcPort: 'OTLP_GRPC_PORT',
	otlpHost: 'OTLP_HOST',
	opsPort: 'SYNCSCOPE_OPS_PORT',
	maxBodyBytes: 'SYNCSCOPE_MAX_BODY_BYTES',
	batchLingerMs: 'SYNCSCOPE_BATCH_LINGER_MS',
	batchMaxRows: 'SYNCSCOPE_BATCH_MAX_ROWS',
	maxQueuedBytes: 'SYNCSCOPE_MAX_QUEUED_BYTES',
	insertConcurrency: 'SYNCSCOPE_INSERT_CONCURRENCY',
	insertAttempts: 'SYNCSCOPE_INSERT_ATTEMPTS',
	retryAfterSeconds: 'SYNCSCOPE_RETRY_AFTER_SECONDS',
	ingestAuth: 'SYNCSCOPE_INGEST_AUTH',
	runScheduler: 'SYNCSCOPE_RUN_SCHEDULER',
	ttlTracesDays: 'SYNCSCOPE_TTL_TRACES_DAYS',
	ttlLogsDays: 'SYNCSCOPE_TTL_LOGS_DAYS',
	ttlKeysDays: 'SYNCSCOPE_TTL_KEYS_DAYS',
	keyAliases: 'SYNCSCOPE_KEY_ALIASES',
	actionAllowlist: 'SYNCSCOPE_ACTION_ALLOWLIST',
	secretKey: 'SYNCSCOPE_SECRET_KEY',
	auditHeadFile: 'SYNCSCOPE_AUDIT_HEAD_FILE',
	deliveryAttempts: 'SYNCSCOPE_DELIVERY_ATTEMPTS',
	deliveryBackoffMs: 'SYNCSCOPE_DELIVERY_BACKOFF_MS',
	deliveryTimeoutMs: 'SYNCSCOPE_DELIVERY_TIMEOUT_MS',
	runbooksDir: 'SYNCSCOPE_RUNBOOKS_DIR',
	slaLookbackDays: 'SYNCSCOPE_SLA_LOOKBACK_DAYS',
	slaFreshnessMs: 'SYNCSCOPE_SLA_FRESHNESS_MS',
	slaLiveFigures: 'SYNCSCOPE_SLA_LIVE_FIGURES',
	alertIntervalSeconds: 'SYNCSCOPE_ALERT_INTERVAL_SECONDS',
	alertRenotifyMinutes: 'SYNCSCOPE_ALERT_RENOTIFY_MINUTES',
	alertWebhooks: 'SYNCSCOPE_ALERT_WEBHOOKS',
	ingestMaxFutureMinutes: 'SYNCSCOPE_INGEST_MAX_FUTURE_MINUTES',
	maxAttributeBytes: 'SYNCSCOPE_MAX_ATTRIBUTE_BYTES',
	maxLogBodyBytes: 'SYNCSCOPE_MAX_LOG_BODY_BYTES',
	metricsToken: 'SYNCSCOPE_METRICS_TOKEN',
	shutdownTimeoutMs: 'SYNCSCOPE_SHUTDOWN_TIMEOUT_MS',
	startupTimeoutMs: 'SYNCSCOPE_STARTUP_TIMEOUT_MS',
	oidcProviders: 'SYNCSCOPE_OIDC_PROVIDERS',
	adminEmail: 'SYNCSCOPE_ADMIN_EMAIL',
	adminPassword: 'SYNCSCOPE_ADMIN_PASSWORD',
	sessionIdleMinutes: 'SYNCSCOPE_SESSION_IDLE_MINUTES',
	sessionAbsoluteHours: 'SYNCSCOPE_SESSION_ABSOLUTE_HOURS',
	logLevel: 'LOG_LEVEL'
};

export class ConfigError extends Error {}

/** Parse config from an env object (and the file it names); throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
	let fromFile: Record<string, unknown> = {};
	if (env.SYNCSCOPE_CONFIG) {
		try {
			fromFile = parseYaml(readFileSync(env.SYNCSCOPE_CONFIG, 'utf8')) ?? {};
		} catch (e) {
			throw new ConfigError(`cannot read SYNCSCOPE_CONFIG ${env.SYNCSCOPE_CONFIG}: ${(e as Error).message}`);
		}
	}
	const raw: Record<string, unknown> = { ...fromFile };
	for (const [key, name] of Object.entries(envNames)) {
		const v = env[name];
		if (v === undefined || v === '') continue;
		raw[key] = key === 'keyAliases' || key === 'alertWebhooks' || key === 'oidcProviders' ? parseJsonEnv(name, v) : v;
	}
	const secretProblems = prepareOidcProviders(raw, env);
	const parsed = configSchema.safeParse({ ...raw, ...overrides });
	if (!parsed.success || secretProblems.length) {
		const lines = [...(parsed.error?.issues ?? []).map((i) => {
			const key = i.path[0] as keyof Config;
			return `  ${envNames[key] ?? String(key)} (${i.path.join('.')}): ${i.message}`;
		}), ...secretProblems];
		throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
	}
	return parsed.data!;
}

/**
 * Client secrets stay out of the config file: SYNCSCOPE_OIDC_<ID>_CLIENT_SECRET (id upper-cased,
 * - as _) or a file named by clientSecretFile (e.g. a mounted Docker/Kubernetes secret) fill in a
 * provider's clientSecret. Returns the problems found here (an unreadable file, an id used twice:
 * zod skips list-level checks while an entry is invalid) for the one error listing.
 */
function prepareOidcProviders(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
	if (!Array.isArray(raw.oidcProviders)) return [];
	const problems: string[] = [];
	const seen = new Set<unknown>();
	raw.oidcProviders = raw.oidcProviders.map((p: unknown, i: number) => {
		if (!p || typeof p !== 'object') return p;
		const provider = { ...(p as Record<string, unknown>) };
		if (seen.has(provider.id)) problems.push(`  SYNCSCOPE_OIDC_PROVIDERS (oidcProviders.${i}.id): provider id ${String(provider.id)} is used twice`);
		seen.add(provider.id);
		const fromEnv = typeof provider.id === 'string' ? env[`SYNCSCOPE_OIDC_${provider.id.toUpperCase().replace(/-/g, '_')}_CLIENT_SECRET`] : undefined;
		if (fromEnv) provider.clientSecret = fromEnv;
		else if (provider.clientSecret === undefined && typeof provider.clientSecretFile === 'string') {
			try {
				provider.clientSecret = readFileSync(provider.clientSecretFile, 'utf8').trim();
			} catch (e) {
				problems.push(`  SYNCSCOPE_OIDC_PROVIDERS (oidcProviders.${i}.clientSecretFile): cannot read ${provider.clientSecretFile}: ${(e as Error).message}`);
			}
		}
		return provider;
	});
	return problems;
}

function parseJsonEnv(name: string, v: string): unknown {
	try {
		return JSON.parse(v);
	} catch {
		throw new ConfigError(`${name} must be JSON, e.g. {"sales_order":["order.id"]}`);
	}
}

const KEY = Symbol.for('syncscope.config');
type G = typeof globalThis & { [KEY]?: Config };

/** The process-wide config (the SvelteKit bundle and the collector share it through globalThis). */
export function config(): Config {
	const g = globalThis as G;
	return (g[KEY] ??= loadConfig());
}

/** Install a config for this process (start-up and tests). */
export function setConfig(c: Config): Config {
	(globalThis as G)[KEY] = c;
	return c;
}
