import { z } from 'zod';

const positiveMs = z.number().int().positive();

export const timeoutSchema = z
  .object({
    first_byte_ms: positiveMs.default(60_000),
    idle_ms: positiveMs.default(120_000),
    total_ms: positiveMs.default(600_000),
  })
  .strict();

export const channelSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
    provider: z.string().min(1),
    base_url: z.url().optional(),
    key: z.string().min(1).optional(),
    keys: z.array(z.string().min(1)).default([]),
    models: z.array(z.string().min(1)).default([]),
    model_map: z.record(z.string(), z.string().min(1)).default({}),
    priority: z.number().int().default(0),
    weight: z.number().positive().default(1),
    headers: z.record(z.string(), z.string()).default({}),
    timeout: timeoutSchema.default({ first_byte_ms: 60_000, idle_ms: 120_000, total_ms: 600_000 }),
  })
  .strict();

export type ChannelConfig = z.infer<typeof channelSchema>;

export const fileConfigSchema = z
  .object({
    server: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).optional(),
        body_limit: z.union([z.number().int().positive(), z.string()]).optional(),
        cors_origins: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({}),
    database_url: z.string().min(1).optional(),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    routing: z
      .object({ max_attempts: z.number().int().min(1).max(20).default(4) })
      .strict()
      .default({ max_attempts: 4 }),
    app: z
      .object({ name: z.string().default('Switchboard'), url: z.string().optional() })
      .strict()
      .default({ name: 'Switchboard' }),
    channels: z.array(channelSchema).default([]),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  CONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  BODY_LIMIT: z.string().min(1).optional(),
  CORS_ORIGINS: z.string().min(1).optional(),
});
