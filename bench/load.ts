import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly connections: number;
  readonly durationS: number;
}

export interface LoadResult {
  /** 2xx responses per second over the measured window. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * One closed-loop autocannon run against 127.0.0.1. Latency percentiles are computed here from
 * every response's own duration: autocannon's histogram keeps whole milliseconds, too coarse for
 * an overhead measured in tenths of one.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(options.url))
    throw new Error(`not a loopback URL: ${options.url}`);
  let latencies = new Float64Array(1 << 16);
  let ok = 0;
  let non2xx = 0;
  const started = performance.now();
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        connections: options.connections,
        duration: options.durationS,
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance?.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode < 200 || statusCode >= 300) {
      non2xx++;
      return;
    }
    if (ok === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[ok++] = responseTime;
  });
  const result = await finished;
  const elapsedS = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, ok).sort();
  return {
    rps: ok / Math.max(elapsedS, 1e-9),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    ok,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
