import { maskSecret } from '../auth/secret-box.js';
import { scrubSecrets } from '../auth/secret-scrub.js';
import { GatewayError } from '../errors/gateway-error.js';
import { prepareRequest } from '../router/prepare-request.js';
import { listedModels } from '../router/resolve-model.js';
import { sendAttempt } from '../router/send-attempt.js';
import type { UpstreamCall } from '../spec/provider.js';
import { findChannel, routerChannel } from './channel-service.js';
import type { AdminContext } from './context.js';
import type { ChannelTestResult } from './schemas.js';

/**
 * Sends one tiny chat request (`max_tokens: 1`) to one of a channel's keys (the first by default) through the same
 * provider code and upstream fetch the router uses, and reports status and latency. It works on
 * disabled channels too, so an operator can check a channel before enabling it.
 */
export async function testChannel(
  ctx: AdminContext,
  id: string,
  model?: string,
  keyIndex = 0,
): Promise<ChannelTestResult> {
  const channel = await routerChannel(ctx, await findChannel(ctx, id));
  if (keyIndex > 0 && keyIndex >= channel.keys.length) {
    throw new GatewayError(
      'invalid_request',
      `channel "${id}" has ${channel.keys.length} upstream key(s): key_index ${keyIndex} does not exist`,
      { param: 'key_index' },
    );
  }
  const asked = model ?? listedModels(channel)[0];
  if (!asked) {
    throw new GatewayError(
      'invalid_request',
      `channel "${id}" accepts any model: say which one to test with`,
      {
        param: 'model',
      },
    );
  }
  const provider = ctx.providers.get(channel.provider);
  if (!provider) throw new GatewayError('invalid_request', `unknown provider "${channel.provider}"`);
  const upstreamModel = channel.modelMap[asked] ?? asked;
  const json = { model: upstreamModel, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 };
  const call: UpstreamCall = {
    operation: 'chat',
    target: { channel, keyIndex, upstreamModel },
    apiKey: channel.keys[keyIndex] ?? '',
    method: 'POST',
    path: '/chat/completions',
    search: '',
    json,
    rawBody: JSON.stringify(json),
    contentType: 'application/json',
    stream: false,
  };
  const started = ctx.now();
  const prepared = prepareRequest(
    call.target,
    () => provider,
    () => call,
  );
  const result = prepared.ok
    ? await sendAttempt({
        provider,
        call,
        request: prepared.request,
        fetch: ctx.fetch,
        clientSignal: new AbortController().signal,
        now: ctx.now,
      })
    : {
        ok: false as const,
        status: null,
        reason: prepared.kind === 'client' ? prepared.error.message : prepared.reason,
      };
  const latency = ctx.now() - started;
  if (result.ok) result.release();
  return {
    channel: channel.name,
    model: asked,
    key_index: keyIndex,
    key: channel.keys[keyIndex] ? maskSecret(channel.keys[keyIndex]) : null,
    ok: result.ok,
    status: result.status ?? null,
    latency_ms: latency,
    error: result.ok ? null : scrubSecrets(result.reason, channel.keys),
  };
}
