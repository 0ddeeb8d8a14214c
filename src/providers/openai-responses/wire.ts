import type { ClientCodec, PassthroughHooks, WireFormat } from '../../spec/wire.js';
import { openAiErrorBody } from '../openai-compatible/chat-response.js';
import { decodeResponsesRequest, toolNaming } from './responses-request.js';
import { encodeResponsesResponse, type ResponseFrame } from './responses-response.js';
import { encodeResponsesStream } from './responses-stream.js';
import { sequentialToolCalls } from './sequential-tool-calls.js';
import { RESPONSES_WIRE } from './wire-name.js';

const encoder = new TextEncoder();

/**
 * A relayed Responses stream that breaks off ends with an `error` event, which the OpenAI SDKs
 * raise. (The relay does not count the upstream's events, so it carries no sequence number.)
 */
const responsesPassthrough: PassthroughHooks = {
  errorEvent(message, timedOut) {
    const data = {
      type: 'error',
      code: timedOut ? 'upstream_timeout' : 'upstream_stream_error',
      message,
      param: null,
    };
    return encoder.encode(`event: error\ndata: ${JSON.stringify(data)}\n\n`);
  },
};

/**
 * The Responses API as a client wire format, framed for one response (its id, time and the
 * client's echo fields). It has no upstream side: providers that speak it natively take the
 * client's body as it is (`nativeWires`), the others get it translated to their own format.
 */
export function responsesWire(frame: ResponseFrame): Pick<WireFormat, 'name' | 'passthrough'> & {
  readonly client: ClientCodec;
} {
  const naming = toolNaming(frame.body);
  return {
    name: RESPONSES_WIRE,
    passthrough: responsesPassthrough,
    client: {
      decodeRequest: decodeResponsesRequest,
      encodeResponse: (response, request) => encodeResponsesResponse(frame, response, request.model, naming),
      encodeStream(request) {
        // Output items do not interleave: parallel calls go one after the other.
        const order = sequentialToolCalls();
        return {
          writable: order.writable,
          readable: order.readable.pipeThrough(encodeResponsesStream(frame, request.model, naming)),
        };
      },
      errorBody: ({ code, message, requestId, status }) =>
        openAiErrorBody(code, message, status >= 500 ? 'upstream_error' : 'invalid_request_error', requestId),
    },
  };
}
