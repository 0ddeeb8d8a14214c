import type { ChatRequest, ChatResponse } from '../spec/chat.js';
import type { StreamPart } from '../spec/stream-part.js';

/**
 * What a key's purpose does to its chat traffic, on the canonical model. Every hook is optional:
 * a pipeline without hooks leaves the byte pass-through fast path on; a stream or response hook
 * makes the gateway decode the upstream's answer so the hook can see it.
 */
export interface Pipeline {
  readonly name: string;
  readonly rewriteRequest?: (request: ChatRequest) => ChatRequest;
  readonly rewriteResponse?: (response: ChatResponse) => ChatResponse;
  /** A fresh transform per response. */
  readonly rewriteStream?: () => TransformStream<StreamPart, StreamPart>;
}

/** Whether a pipeline needs to see the answer, which rules out relaying upstream bytes as they are. */
export function rewritesAnswer(pipeline: Pipeline): boolean {
  return pipeline.rewriteResponse !== undefined || pipeline.rewriteStream !== undefined;
}
