/**
 * A small Server-Sent Events reader for fetch's ReadableStream: events are separated by a
 * blank line; only `data:` lines matter here (several are joined with "\n"); `:` lines are
 * comments. Yields each event's data text (e.g. a JSON chunk, or `[DONE]`).
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (true) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const data = eventData(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (data !== null) yield data;
        end = buffer.indexOf('\n\n');
      }
      if (done) break;
    }
    // A last event without its blank line.
    const rest = eventData(buffer);
    if (rest !== null) yield rest;
  } finally {
    reader.releaseLock();
  }
}

function eventData(block: string): string | null {
  const lines: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) lines.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  return lines.length > 0 ? lines.join('\n') : null;
}
