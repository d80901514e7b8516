// Long commands do much synchronous work (the embedded store's calls, one user's computation). The
// event loop must still get a turn every few tens of milliseconds: signal handlers, the lease's
// renewal timer and the progress display all run there.

/** One macrotask turn: pending timers, I/O and signal handlers run before this resolves. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const BUDGET_MS = 25;
let lastTurn = performance.now();

/** Yields when more than a few milliseconds of synchronous work have passed since the last turn. */
export async function yieldIfBusy(): Promise<void> {
  const now = performance.now();
  if (now - lastTurn < BUDGET_MS) return;
  await yieldToEventLoop();
  lastTurn = performance.now();
}
