export class ReadTimeoutError extends Error {
  override name = 'ReadTimeoutError';
}

/**
 * One read from a body reader that gives up after `ms`. On time-out it calls `onTimeout`
 * (which aborts the upstream request) and rejects with ReadTimeoutError.
 */
export function readWithTimeout<T>(
  reader: { read(): Promise<ReadableStreamReadResult<T>> },
  ms: number,
  onTimeout: () => void,
): Promise<ReadableStreamReadResult<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new ReadTimeoutError(`no data from upstream for ${ms} ms`));
    }, ms);
    reader.read().then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
