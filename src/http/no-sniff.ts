/**
 * `x-content-type-options: nosniff` on every response, set on the final one after the handler,
 * error handler or not-found handler has produced it. The pass-through relays the upstream's
 * content type: without it a browser could sniff an answer an upstream labels loosely as HTML and
 * run it on the gateway's origin. Set by the request-id middleware, which already touches every
 * final response: a middleware of its own would add a frame to every request.
 */
export function setNoSniff(headers: Headers): void {
  headers.set('x-content-type-options', 'nosniff');
}
