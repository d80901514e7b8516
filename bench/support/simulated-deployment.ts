import { Worker } from 'node:worker_threads';
import { murmur3_32 } from '../../src/core/hash/murmur3.js';
import type { ConvexCaller } from '../../src/store/convex/caller.js';

/**
 * A ConvexCaller to a deployment simulated in worker threads, every call delayed by a network latency.
 * A real deployment runs concurrent calls in parallel, so data is partitioned by user across workers
 * (calls without a user, such as the ledger and leases, go to the first).
 */
export class SimulatedDeployment {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly latencyMs: number,
    threads = 2,
  ) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL('./deployment-worker.js', import.meta.url));
      worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: string }) => {
        const call = this.pending.get(id)!;
        this.pending.delete(id);
        if (error !== undefined) call.reject(new Error(error));
        else call.resolve(value);
      });
      return worker;
    });
  }

  /** Share of the time the simulated deployment's threads were busy, on average. */
  utilization(since?: number[]): number[] {
    return this.workers.map((worker, i) => {
      const now = worker.performance.eventLoopUtilization();
      return since ? now.active - since[i]! : now.active;
    });
  }

  /** Loads records straight into the deployment, without latency. */
  seed(args: Record<string, unknown>): Promise<unknown> {
    return this.send('seed:records', args);
  }

  private workerFor(args: Record<string, unknown>): Worker {
    const userId = args.userId ?? (args.items as { userId?: string }[] | undefined)?.[0]?.userId ?? (args.chunks as { userId?: string }[] | undefined)?.[0]?.userId;
    return typeof userId === 'string' ? this.workers[murmur3_32(userId) % this.workers.length]! : this.workers[0]!;
  }

  private send(name: string, args: Record<string, unknown>): Promise<unknown> {
    if (name === 'records:listUsers') return this.listUsers(args);
    return this.sendTo(this.workerFor(args), name, args);
  }

  /** Arguments travel as JSON text and answers come back as JSON text, as over HTTP. */
  private sendTo(worker: Worker, name: string, args: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: (text) => resolve(JSON.parse(text as string)), reject });
      worker.postMessage({ id, name, args: JSON.stringify(args) });
    });
  }

  /** Users live on every partition: ask each, merge in user order (one page holds all the bench's users). */
  private async listUsers(args: Record<string, unknown>): Promise<unknown> {
    const pages = (await Promise.all(this.workers.map((worker) => this.sendTo(worker, 'records:listUsers', args)))) as { page: { userId: string }[]; isDone: boolean }[];
    if (pages.some((page) => !page.isDone)) throw new Error('the simulated deployment lists at most one page of users');
    return { page: pages.flatMap((page) => page.page).sort((a, b) => (a.userId < b.userId ? -1 : 1)), isDone: true, continueCursor: '' };
  }

  private async call(name: string, args: Record<string, unknown>): Promise<unknown> {
    // Half the latency on the way there, half on the way back.
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs / 2));
    const value = await this.send(name, args);
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs / 2));
    return value;
  }

  caller(): ConvexCaller {
    return { query: (name, args) => this.call(name, args), mutation: (name, args) => this.call(name, args) };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
