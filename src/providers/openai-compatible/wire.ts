import type { WireFormat } from '../../spec/wire.js';
import { decodeOpenAiRequest, encodeOpenAiRequest } from './chat-request.js';
import { decodeOpenAiResponse, encodeOpenAiResponse, openAiErrorBody } from './chat-response.js';
import { decodeOpenAiStream, encodeOpenAiStream } from './chat-stream.js';
import { openAiPassthrough } from './passthrough.js';

/** The OpenAI chat completions wire format, both as a front door and as an upstream. */
export const openAiWire: WireFormat = {
  name: 'openai',
  upstream: {
    encodeRequest: encodeOpenAiRequest,
    decodeResponse: decodeOpenAiResponse,
    decodeStream: decodeOpenAiStream,
  },
  client: {
    decodeRequest: decodeOpenAiRequest,
    encodeResponse: encodeOpenAiResponse,
    encodeStream: encodeOpenAiStream,
    errorBody: ({ code, message, requestId, status }) =>
      openAiErrorBody(code, message, status >= 500 ? 'upstream_error' : 'invalid_request_error', requestId),
  },
  passthrough: openAiPassthrough,
};
