// Moved to src/config/dotenv.ts (deployment resolution reads .env files below the CLI).
export * from '../config/dotenv.js';
