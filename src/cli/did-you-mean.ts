// Moved to src/text/did-you-mean.ts (pure text helpers that layers below the CLI use too).
export * from '../text/did-you-mean.js';
