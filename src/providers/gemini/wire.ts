import type { WireFormat } from '../../spec/wire.js';
import { decodeGeminiClientRequest } from './client-request.js';
import { encodeGeminiClientResponse, geminiErrorBody } from './client-response.js';
import { encodeGeminiClientStream } from './client-stream.js';
import { encodeGeminiRequest } from './generate-request.js';
import { decodeGeminiResponse } from './generate-response.js';
import { decodeGeminiStream } from './generate-stream.js';
import { geminiPassthrough } from './passthrough.js';

/** Gemini's generateContent format, both as a front door and as an upstream. */
export const geminiWire: WireFormat = {
  name: 'gemini',
  upstream: {
    encodeRequest: encodeGeminiRequest,
    decodeResponse: decodeGeminiResponse,
    decodeStream: decodeGeminiStream,
  },
  client: {
    decodeRequest: decodeGeminiClientRequest,
    encodeResponse: encodeGeminiClientResponse,
    encodeStream: encodeGeminiClientStream,
    errorBody: geminiErrorBody,
  },
  passthrough: geminiPassthrough,
};
