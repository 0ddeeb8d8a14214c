/** Token counts for one request, as reported by the upstream. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

export interface AttemptRecord {
  channel: string;
  /** Index of the upstream key inside the channel; never the key itself. */
  keyIndex: number;
  status: number | null;
  error?: string;
  latencyMs: number;
}

/** Exactly one of these is produced per client request, whatever the exit. */
export interface UsageRecord {
  requestId: string;
  startedAt: number;
  keyId: string | null;
  operation: string;
  modelAsked: string | null;
  modelServed: string | null;
  channel: string | null;
  stream: boolean;
  status: number;
  errorCode: string | null;
  usage: TokenUsage | null;
  firstByteMs: number | null;
  latencyMs: number;
  attempts: AttemptRecord[];
}

export type UsageSink = (record: UsageRecord) => void;
