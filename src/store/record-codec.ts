// The stored-record shape lives in the core, which the Convex component shares.
export * from '../core/stored-record.js';
