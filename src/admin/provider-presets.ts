import { z } from 'zod';
import type { AdminContext } from './context.js';

export const providerPresetSchema = z.object({
  name: z.string(),
  base_url: z.string().nullable().describe('used when a channel sets none'),
  requires_key: z.boolean(),
  wire: z.string().describe('chat wire format: openai, anthropic or gemini'),
});

/** Every provider a channel can name, with its default base URL (the panel's preset list). */
export function providerPresets(ctx: AdminContext): z.infer<typeof providerPresetSchema>[] {
  return [...ctx.providers.values()]
    .map((p) => ({
      name: p.name,
      base_url: p.defaultBaseUrl,
      requires_key: p.requiresKey,
      wire: p.wire ?? 'openai',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
