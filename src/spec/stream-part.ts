import type { ChatUsage, FinishReason } from './chat.js';

/**
 * What the client and the record are told of a stream the upstream closed before the answer's
 * end (a proxy's time-out, a recycled connection), whether it was relayed or translated.
 */
export const CUT_SHORT_MESSAGE = 'the upstream closed its stream before the answer was complete';

/**
 * One event of a canonical response stream. Upstream decoders produce these, pipelines rewrite
 * them, client encoders turn them into the client's wire format. Tool calls are numbered by
 * `index` in order of appearance; arguments arrive as raw JSON text fragments.
 */
export type StreamPart =
  | { readonly type: 'start'; readonly id: string; readonly model: string; readonly created: number }
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'reasoning-delta'; readonly text: string }
  | { readonly type: 'reasoning-signature'; readonly signature: string }
  | { readonly type: 'reasoning-redacted'; readonly data: string }
  | { readonly type: 'tool-call-start'; readonly index: number; readonly id: string; readonly name: string }
  | { readonly type: 'tool-call-delta'; readonly index: number; readonly argumentsDelta: string }
  | { readonly type: 'tool-call-end'; readonly index: number }
  /** A usage snapshot; later snapshots replace earlier ones. */
  | { readonly type: 'usage'; readonly usage: ChatUsage }
  | { readonly type: 'finish'; readonly reason: FinishReason; readonly stopSequence?: string }
  /** The upstream failed mid-stream; nothing follows. */
  | { readonly type: 'error'; readonly message: string; readonly code?: string };
