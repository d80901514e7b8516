// Moved to src/text/sizes.ts (pure text helpers that layers below the CLI use too).
export * from '../text/sizes.js';
