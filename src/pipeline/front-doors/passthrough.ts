import { GatewayError } from '../../errors/gateway-error.js';
import { passthroughTarget } from '../../http/passthrough-path.js';
import { readBodyBytes, readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { assertModelName } from '../../http/validate-call.js';
import type { JsonObject } from '../../spec/json.js';
import type { FrontDoor } from '../front-door.js';
import { openAiClientHeaders } from './openai-client-headers.js';

/**
 * Any other path under the mount point (e.g. `/v1/responses`, `/v1/audio/speech`), forwarded
 * as is to a channel whose provider forwards any path. Its answer is metered like every other:
 * usage read in any shape the upstream speaks, or estimated from the bytes seen when a model may
 * have generated them (generatedByModel).
 */
export const passthroughFrontDoor: FrontDoor = {
  name: 'pass-through',
  path: '/*',
  method: 'ALL',
  operation: 'passthrough',
  metered: true,
  async decode({ c, base, principal, denyAccountResources }) {
    const { path, search } = passthroughTarget(c.req.raw.url, base);
    // Before the body is read: nothing of such a request is sent anywhere.
    const minting = segments(path).find((segment) => CREDENTIAL_MINTING.has(segment));
    if (minting !== undefined) {
      throw new GatewayError(
        'route_not_found',
        `the gateway does not relay ${minting} requests: they would hand out a credential of the upstream account (an ephemeral key or a direct session) that the gateway could not meter, limit or scope`,
        { param: 'path' },
      );
    }
    // `routing.deny_account_resources`: what the upstream account holds is shared by every key of
    // the channel, so by every user; a bring-your-own-key key reaches only its own account.
    if (denyAccountResources && principal.byok === null && reachesAccount(c.req.method, path)) {
      throw new GatewayError(
        'model_not_allowed',
        "this gateway does not relay calls to the upstream account's own resources (files, batches, fine-tuning, assistants, stored completions, …; on the pass-through, any method but POST): that account is shared by every user of the gateway (routing.deny_account_resources)",
        { param: 'path' },
      );
    }
    const contentType = c.req.header('content-type') ?? null;
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    let rawBody: string | ArrayBuffer | null = null;
    let json: JsonObject | null = null;
    if (hasBody && isJsonMediaType(contentType)) {
      rawBody = await readBodyText(c);
      // The openai Python SDK says `application/json` on every call, with a body or not (a
      // DELETE, a POST …/cancel): an empty body is no body, and goes on as it came.
      json = rawBody === '' ? null : parseJsonObject(rawBody);
    } else if (hasBody) {
      rawBody = await readBodyBytes(c);
    }
    const model = typeof json?.model === 'string' ? json.model : null;
    if (model !== null) assertModelName(model);
    const accountResource = isAccountResource(path);
    // A key limited to some models may call a model, not manage what the upstream account holds
    // (its files, batches, fine-tunes, assistants): those are shared by every key of the channel,
    // and a body naming an allowed model says nothing of what they touch.
    if (principal.models.length > 0 && (c.req.method !== 'POST' || accountResource)) {
      throw new GatewayError(
        'model_not_allowed',
        'this API key may use only some models: through the pass-through it may call them (POST with a JSON "model"), not reach the upstream account\'s files, batches, fine-tuning, assistants, models or stored responses and completions',
        { param: 'model' },
      );
    }
    // A key limited to some models may only send what names one: a request whose model the
    // gateway cannot read (no JSON body, a GET) could reach any model behind the path.
    if (model === null && principal.models.length > 0) {
      throw new GatewayError(
        'model_not_allowed',
        'this API key may use only some models, and this request names none the gateway can read (send a JSON body with "model")',
        { param: 'model' },
      );
    }
    return {
      model,
      stream: json?.stream === true,
      json,
      generated: generatedByModel(c.req.method, accountResource, model, json, rawBody),
      upstream: {
        method: c.req.method,
        path,
        search,
        json,
        rawBody,
        contentType,
        clientHeaders: openAiClientHeaders(c),
      },
    };
  },
};

/**
 * Whether a model may have generated the answer, which is estimated when it reports no usage: a
 * POST, not on the account's resources, whose body names a model (a JSON `model`) or is one the
 * gateway does not parse (a multipart form: a transcription names its model there). A GET, a
 * DELETE, an account resource (a file listing, a fine-tuning job) or a JSON body without a model
 * (a `…/cancel`) generated nothing: its answer without usage counts no tokens.
 */
function generatedByModel(
  method: string,
  accountResource: boolean,
  model: string | null,
  json: JsonObject | null,
  rawBody: string | ArrayBuffer | null,
): boolean {
  if (method !== 'POST' || accountResource) return false;
  if (model !== null) return true;
  return json === null && rawBody instanceof ArrayBuffer && rawBody.byteLength > 0;
}

/**
 * Whether the path reaches what the upstream account holds rather than calling a model: one of
 * its own collections (ACCOUNT_RESOURCES, by the first segment), or an output a model call stored
 * on it, which lies below that call's endpoint: a stored chat completion (`chat/completions/{id}`,
 * whose POST edits its metadata, and its `…/messages`), a stored response (`responses/{id}`,
 * `responses/{id}/cancel`, `…/input_items`), an Anthropic message batch (`messages/batches/…`).
 */
function isAccountResource(path: string): boolean {
  // A trailing slash is no segment (`/chat/completions/` is still the model call).
  const [first = '', ...rest] = segments(path).filter((segment) => segment !== '');
  if (ACCOUNT_RESOURCES.has(first)) return true;
  if (first === 'chat') return rest[0] === 'completions' && rest.length > 1;
  if (first === 'responses') return rest[0] !== undefined && !RESPONSES_MODEL_CALLS.has(rest[0]);
  if (first === 'messages') return rest[0] === 'batches';
  return false;
}

/** The paths below `responses` that call a model (they take a `model`), not a stored response. */
const RESPONSES_MODEL_CALLS: ReadonlySet<string> = new Set(['input_tokens', 'compact']);

/** Paths of an OpenAI-style account's own resources, by their first segment. */
const ACCOUNT_RESOURCES: ReadonlySet<string> = new Set([
  'files',
  'uploads',
  'batches',
  'fine_tuning',
  'fine-tunes',
  'fine_tunes',
  'assistants',
  'threads',
  'vector_stores',
  'models',
  'organization',
  'projects',
  'evals',
  'containers',
  'conversations',
]);

/**
 * Upstream endpoints that answer with a credential of the upstream account or open a session
 * the gateway never sees: OpenAI's Realtime `client_secrets`, `sessions`,
 * `transcription_sessions` (an ephemeral `ek_…` key) and `calls` (WebRTC), and ChatKit's
 * `sessions` (a client secret). Refused on the pass-through for every key.
 */
const CREDENTIAL_MINTING: ReadonlySet<string> = new Set(['realtime', 'chatkit']);

/** The path's segments as the upstream reads them: escapes decoded, lower case. */
function segments(path: string): string[] {
  return path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment).toLowerCase();
    } catch {
      return segment.toLowerCase();
    }
  });
}

/**
 * A pass-through call that reaches what the upstream account holds rather than a model: any
 * method but POST (reads, deletes of stored objects), or an account resource's path.
 */
function reachesAccount(method: string, path: string): boolean {
  return method !== 'POST' || isAccountResource(path);
}

/** `application/json` or any `+json` type, in any letter case, parameters ignored. */
function isJsonMediaType(contentType: string | null): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
