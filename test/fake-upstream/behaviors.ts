/** What the fake upstream does with one request. */
export type Behavior =
  /** Answer normally in the OpenAI wire format (stream or not, as asked). */
  | {
      kind: 'ok';
      content?: string;
      delayMs?: number;
      /** A non-stream answer sent in two writes with no content-length (chunked transfer). */
      chunked?: boolean;
      /** Extra response headers (e.g. the provider's `x-request-id`), in every format. */
      headers?: Record<string, string>;
    }
  /** Answer with this status and body (e.g. 500, or 429 with `retry-after`). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Send headers and `chunks` SSE events, then destroy the socket. */
  | { kind: 'drop'; afterChunks: number }
  /** Send headers and `afterChunks` SSE events, then go silent without closing. */
  | { kind: 'stall'; afterChunks: number }
  /** Stream normally but wait `intervalMs` between events. */
  | { kind: 'drip'; intervalMs: number }
  /** Send an OpenAI error event in the stream after `afterChunks` events. */
  | { kind: 'sse-error'; afterChunks: number }
  /** Reply with exactly these bytes as an SSE body (recorded fixtures). */
  | { kind: 'raw-sse'; body: string }
  /**
   * Reply with these pieces written one by one, each after the previous left the socket (a body
   * split at chosen bytes: inside a line, a CRLF, a UTF-8 character); `stall` goes silent after
   * the last piece instead of ending. Headers default to an SSE answer.
   */
  | {
      kind: 'raw-pieces';
      pieces: readonly (string | Uint8Array)[];
      status?: number;
      headers?: Record<string, string | string[]>;
      stall?: boolean;
    }
  /** Destroy the socket before sending anything. */
  | { kind: 'reset' };

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: Record<string, unknown> | null;
  /** Set when the gateway closed the connection before the fake finished answering. */
  abortedAt: number | null;
  readonly receivedAt: number;
  /** Every body byte the fake wrote in its answer, in order (for byte-faithfulness checks). */
  readonly sent: Uint8Array[];
}
