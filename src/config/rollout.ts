import { z } from 'zod';

// agg rollout

export const rolloutSchema = z
  .object({
    eligibility: z
      .object({
        minRecords: z.number().int().min(0).max(10_000_000).optional(),
        requireFreshGrid: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
