import type { Context } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from './context.js';

/** Anthropic's clients mark every request with `anthropic-version`; OpenAI's never do. */
export function isAnthropicClient(c: Context<GatewayEnv>): boolean {
  return c.req.header('anthropic-version') !== undefined;
}

export interface AnthropicModel {
  readonly type: 'model';
  readonly id: string;
  readonly display_name: string;
  readonly created_at: string;
}

export function anthropicModel(model: { id: string; created: number }): AnthropicModel {
  return {
    type: 'model',
    id: model.id,
    display_name: model.id,
    created_at: new Date(model.created * 1000).toISOString(),
  };
}

/** One page of Anthropic's list shape, honouring its `limit`, `after_id` and `before_id`. */
export function anthropicModelPage(models: readonly AnthropicModel[], query: Record<string, string>) {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new GatewayError('invalid_request', 'limit: must be a whole number from 1 to 1000', {
      param: 'limit',
    });
  let start = 0;
  let end = models.length;
  if (query.after_id !== undefined) start = indexOf(models, query.after_id, 'after_id') + 1;
  if (query.before_id !== undefined) end = indexOf(models, query.before_id, 'before_id');
  const data =
    query.before_id !== undefined && query.after_id === undefined
      ? models.slice(Math.max(start, end - limit), end)
      : models.slice(start, Math.min(end, start + limit));
  const first = models.indexOf(data[0] as AnthropicModel);
  return {
    data,
    has_more:
      data.length > 0 &&
      (query.before_id !== undefined && query.after_id === undefined
        ? first > start
        : first + data.length < end),
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

function indexOf(models: readonly AnthropicModel[], id: string, param: string): number {
  const index = models.findIndex((m) => m.id === id);
  if (index < 0)
    throw new GatewayError('invalid_request', `${param}: no model "${id}" in this list`, { param });
  return index;
}
