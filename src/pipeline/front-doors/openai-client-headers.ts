import type { Context } from 'hono';
import type { GatewayEnv } from '../../http/context.js';

/**
 * Client headers an OpenAI-format upstream should see on a call relayed as sent: `openai-beta`,
 * which the Assistants API requires (the openai SDKs send `assistants=v2` on those calls).
 * Undefined when the client sent none.
 */
export function openAiClientHeaders(c: Context<GatewayEnv>): Readonly<Record<string, string>> | undefined {
  const beta = c.req.header('openai-beta');
  return beta ? { 'openai-beta': beta } : undefined;
}
