/** The demo estate as a library: the simulator, its action endpoint, and console provisioning. */
export { Simulator, busyness, incidentsFor, LIVE_LAG_MS, type BackfillOptions, type SimulatorOptions, type TransactionKind } from './simulator';
export { Telemetry, SERVICES, DEMO_NAMESPACE, memorySinks, otlpSinks, contractAttributes, type Sinks, type StepSpec, type StepResult } from './telemetry';
export { startActionEndpoint, ACTION_PATH, type ActionEndpoint, type ActionEndpointOptions } from './action-endpoint';
export { reprocess, replayableSteps, actionDataSchema, type ActionData, type ReprocessResult } from './reprocess';
export { sign, verify, generateSecret, TOLERANCE_SECONDS } from './webhook-signature';
export { provision, ConsoleApi, type DemoUser, type ProvisionResult } from './provision';
export { loadState, saveState, freshState, statePath, DEMO_DOMAIN, type DemoState } from './state';
