import { CUT_SHORT_MESSAGE, type StreamPart } from '../../spec/stream-part.js';

/**
 * What a stream decoder ends with when the upstream closed the stream cleanly before the
 * format's own end (a proxy's time-out, a recycled connection): the answer is cut, and saying
 * so lets the client's format report a failure instead of a complete answer.
 */
export const CUT_SHORT: StreamPart = {
  type: 'error',
  code: 'upstream_stream_error',
  message: CUT_SHORT_MESSAGE,
};
