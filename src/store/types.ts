// The values the one persistence contract (store.ts) speaks, one file per concern under types/, all
// imported from here. Instants are ISO strings; nothing here is a Date.

export * from './types/paging.js';
export * from './types/records.js';
export * from './types/changes.js';
export * from './types/aggregations.js';
export * from './types/filter-combinations.js';
export * from './types/validations.js';
export * from './types/rollout.js';
export * from './types/runs.js';
export * from './types/read-back-schemas.js';
