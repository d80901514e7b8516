// Moved to src/text/numbers.ts (pure text helpers that layers below the CLI use too).
export * from '../text/numbers.js';
