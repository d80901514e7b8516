import { z } from 'zod';
import { formatIsoInstant, parseIsoInstant } from './time/iso.js';
import { ZoneClock } from './time/zone.js';

/** Every computation runs against an explicit instant and zone; nothing reads the clock or the machine zone. */
export const computeContextSchema = z.object({
  asOf: z.string().refine((value) => parseIsoInstant(value) !== null, {
    message: 'asOf must be an ISO-8601 instant with an offset, such as 2024-03-01T12:00:00.000Z',
  }),
  timeZone: z.string().min(1),
});

export type ComputeContext = z.infer<typeof computeContextSchema>;

export interface ResolvedContext {
  /** Canonical ISO form of asOf. */
  readonly asOf: string;
  readonly asOfMs: number;
  readonly timeZone: string;
  readonly clock: ZoneClock;
}

export class InvalidContextError extends Error {}

/** `clock`: one already made for the context's zone (it caches zone offsets), else a new one. */
export function resolveContext(context: ComputeContext, clock: ZoneClock = new ZoneClock(context.timeZone)): ResolvedContext {
  const asOfMs = parseIsoInstant(context.asOf);
  if (asOfMs === null) {
    throw new InvalidContextError(`asOf "${context.asOf}" is not an ISO-8601 instant (expected e.g. 2024-03-01T12:00:00.000Z)`);
  }
  return { asOf: formatIsoInstant(asOfMs), asOfMs, timeZone: clock.timeZone, clock };
}
