import { type Pipeline, rewritesAnswer } from '../pipelines/pipeline.js';
import { pipelineFor } from '../pipelines/registry.js';
import type { ProviderRegistry, WireRegistry } from '../providers/registry.js';
import type { ClientCall, Routed } from '../router/forward.js';
import type { ChatRequest } from '../spec/chat.js';
import type { JsonObject } from '../spec/json.js';
import type { ChatTranslation } from '../spec/provider.js';
import type { ClientCodec, WireFormat } from '../spec/wire.js';
import { type AnswerTap, respond } from '../streaming/respond.js';
import { respondTranslated } from '../streaming/translate-response.js';

/**
 * A front door's wire format: one with a client side. Its upstream side is optional: a format
 * only some providers take natively (the Responses API) is relayed to those and translated
 * to the provider's own format for the rest.
 */
export type FrontDoorWire = Pick<WireFormat, 'name' | 'passthrough'> & { readonly client: ClientCodec };

export function isFrontDoorWire(wire: WireFormat | undefined): wire is WireFormat & FrontDoorWire {
  return wire?.client !== undefined;
}

/** A chat call's translation context: the front door's format and the key's pipeline. */
export interface ChatContext {
  readonly wire: FrontDoorWire;
  readonly pipeline: Pipeline;
  readonly translation: ChatTranslation;
}

export function chatContext(
  wire: FrontDoorWire,
  body: JsonObject,
  purpose: string,
  forwardHeaders: Readonly<Record<string, string>> = {},
): ChatContext {
  const pipeline = pipelineFor(purpose);
  let decoded: ChatRequest | null = null;
  // Decoded only when an upstream or the answer needs it: same-format traffic never pays for it.
  const request = () => {
    decoded ??= wire.client.decodeRequest(body);
    if (pipeline.rewriteRequest) decoded = pipeline.rewriteRequest(decoded);
    return decoded;
  };
  let memo: ChatRequest | null = null;
  return {
    wire,
    pipeline,
    translation: {
      clientWire: wire.name,
      request: () => {
        memo ??= request();
        return memo;
      },
      rewritesRequest: pipeline.rewriteRequest !== undefined,
      forwardHeaders,
    },
  };
}

/**
 * The client response for a committed chat attempt: relayed byte for byte when the upstream
 * speaks the client's format and the pipeline leaves answers alone, translated otherwise.
 */
export function answerChat(
  call: ClientCall,
  routed: Routed,
  answer: AnswerTap,
  chat: ChatContext,
  registries: { readonly providers: ProviderRegistry; readonly wires: WireRegistry },
): Response {
  const provider = registries.providers.get(routed.target.channel.provider);
  // The provider took the client's body as it was (translatedChatBody): relay its answer.
  const native = provider?.nativeWires?.includes(chat.wire.name) && !chat.translation.rewritesRequest;
  const upstream = registries.wires.get(provider?.wire ?? 'openai');
  if (!upstream || ((native || upstream.name === chat.wire.name) && !rewritesAnswer(chat.pipeline))) {
    return respond(call, routed, answer, chat.wire.passthrough);
  }
  return respondTranslated(call, routed, answer, {
    upstream: upstream.upstream,
    client: chat.wire.client,
    pipeline: chat.pipeline,
    request: chat.translation.request(),
  });
}
