import type { AttemptRecord, TokenUsage, UsageRecord, UsageSink } from '../spec/usage.js';

/**
 * Collects one request's usage as it happens and emits exactly one record, on the first
 * `finish` — later calls are ignored, so every exit path may call it safely.
 */
export class UsageRecorder {
  private finished = false;
  readonly record: UsageRecord;

  constructor(
    private readonly sink: UsageSink,
    private readonly now: () => number,
    init: { requestId: string; operation: string },
  ) {
    this.record = {
      requestId: init.requestId,
      startedAt: now(),
      keyId: null,
      operation: init.operation,
      modelAsked: null,
      modelServed: null,
      channel: null,
      stream: false,
      status: 0,
      errorCode: null,
      usage: null,
      firstByteMs: null,
      latencyMs: 0,
      attempts: [],
    };
  }

  /** True once a streamed response has taken over the duty to finish. */
  deferred = false;

  get isFinished(): boolean {
    return this.finished;
  }

  addAttempt(attempt: AttemptRecord): void {
    this.record.attempts.push(attempt);
  }

  finish(status: number, errorCode: string | null, usage: TokenUsage | null = null): void {
    if (this.finished) return;
    this.finished = true;
    this.record.status = status;
    this.record.errorCode = errorCode;
    this.record.usage = usage;
    this.record.latencyMs = this.now() - this.record.startedAt;
    this.sink(this.record);
  }
}
