import type { WireFormat } from '../../spec/wire.js';
import { encodeGeminiRequest } from './generate-request.js';
import { decodeGeminiResponse } from './generate-response.js';
import { decodeGeminiStream } from './generate-stream.js';

/** Gemini's generateContent format; upstream only (no Gemini-compatible front door). */
export const geminiWire: WireFormat = {
  name: 'gemini',
  upstream: {
    encodeRequest: encodeGeminiRequest,
    decodeResponse: decodeGeminiResponse,
    decodeStream: decodeGeminiStream,
  },
};
