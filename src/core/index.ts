// The pure aggregation library: what the CLI, the Convex functions and the tests share.
export * from './aggregations/definition.js';
export * from './compute.js';
export * from './context.js';
export * from './dataset.js';
export * from './filters.js';
export * from './hash/sha256.js';
export * from './json.js';
export * from './normalize.js';
export * from './record.js';
export * from './registry.js';
export * from './time/iso.js';
export * from './time/zone.js';
export * from './topics.js';
export { monthLabel, pctChange, SECONDS_PER_VIDEO } from './aggregations/shared.js';
export * from './duration.js';
export * from './hash/murmur3.js';
export * from './rollout.js';
export * from './eligibility.js';
