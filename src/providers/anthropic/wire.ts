import type { WireFormat } from '../../spec/wire.js';
import { decodeAnthropicRequest, encodeAnthropicRequest } from './messages-request.js';
import { anthropicErrorBody, decodeAnthropicResponse, encodeAnthropicResponse } from './messages-response.js';
import { decodeAnthropicStream } from './messages-stream.js';
import { encodeAnthropicStream } from './messages-stream-encoder.js';
import { anthropicPassthrough } from './passthrough.js';

/** The Anthropic Messages wire format, both as a front door and as an upstream. */
export const anthropicWire: WireFormat = {
  name: 'anthropic',
  upstream: {
    encodeRequest: encodeAnthropicRequest,
    decodeResponse: decodeAnthropicResponse,
    decodeStream: decodeAnthropicStream,
  },
  client: {
    decodeRequest: decodeAnthropicRequest,
    encodeResponse: encodeAnthropicResponse,
    encodeStream: encodeAnthropicStream,
    errorBody: ({ status, message, requestId }) => anthropicErrorBody(status, message, requestId),
  },
  passthrough: anthropicPassthrough,
};
