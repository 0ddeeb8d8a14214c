/**
 * Gemini's streaming format without `alt=sse` (one JSON array of chunks): a front door's wire
 * name, and the Gemini provider's `nativeWires` entry. A Gemini upstream takes that body as it is
 * (always asked for SSE), and its answer is only re-framed (src/streaming/json-array-stream.ts).
 */
export const GEMINI_JSON_ARRAY_WIRE = 'gemini+json-array';
