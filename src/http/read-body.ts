import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * The request body as text or bytes. Reading it fails only when the client's side of the
 * connection does (it hung up mid-upload, or broke the framing), so such a failure is the
 * client leaving — a 499 recorded at info level — and not a gateway fault.
 */
export async function readBodyText(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (err) {
    throw asClientGone(err);
  }
}

export async function readBodyBytes(c: Context): Promise<ArrayBuffer> {
  try {
    return await c.req.arrayBuffer();
  } catch (err) {
    throw asClientGone(err);
  }
}

export function asClientGone(err: unknown): unknown {
  // Hono's counting body limit stops an oversized body with a 413: that one keeps its meaning.
  if (err instanceof HTTPException || err instanceof GatewayError) return err;
  return new GatewayError(
    'client_closed',
    'the client closed the connection before sending the whole request body',
  );
}
