import { passthroughTarget } from '../../http/passthrough-path.js';
import { readBodyBytes, readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { assertModelName } from '../../http/validate-call.js';
import type { JsonObject } from '../../spec/json.js';
import type { FrontDoor } from '../front-door.js';

/**
 * Any other path under the mount point (e.g. `/v1/responses`, `/v1/audio/speech`), forwarded
 * as is to a channel whose provider forwards any path. Its answer is metered like every other:
 * usage read in any shape the upstream speaks, or estimated from the bytes seen.
 */
export const passthroughFrontDoor: FrontDoor = {
  name: 'pass-through',
  path: '/*',
  method: 'ALL',
  operation: 'passthrough',
  metered: true,
  async decode({ c, base }) {
    const { path, search } = passthroughTarget(c.req.raw.url, base);
    const contentType = c.req.header('content-type') ?? null;
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    let rawBody: string | ArrayBuffer | null = null;
    let json: JsonObject | null = null;
    if (hasBody && contentType?.includes('application/json')) {
      rawBody = await readBodyText(c);
      json = parseJsonObject(rawBody);
    } else if (hasBody) {
      rawBody = await readBodyBytes(c);
    }
    const model = typeof json?.model === 'string' ? json.model : null;
    if (model !== null) assertModelName(model);
    return {
      model,
      stream: json?.stream === true,
      json,
      upstream: { method: c.req.method, path, search, json, rawBody, contentType },
    };
  },
};
