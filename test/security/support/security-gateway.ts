import { createClientKey } from '../../../src/auth/key-service.js';
import { resolveSettings } from '../../../src/config/settings.js';
import { bootstrap, type NodeGateway } from '../../../src/runtime/node/bootstrap.js';
import type { Logger } from '../../../src/spec/logger.js';
import { type FakeUpstream, startFakeUpstream } from '../../fake-upstream/server.js';

export const ADMIN_TOKEN = 'security-admin-token-0123456789abcdef';
const SECRET_KEY = 'security-encryption-key-0123456789abcdef';
/** The origin's internal edge endpoints are mounted, so the matrix and the fuzz reach them. */
export const EDGE_SECRET = 'security-edge-secret-0123456789abcdef';

/** The client keys of every role the authz matrix and the fuzz use (secrets, not ids). */
export interface RoleKeys {
  readonly valid: string;
  readonly revoked: string;
  readonly expired: string;
  readonly disabledUser: string;
  readonly otherModels: string;
  readonly otherChannel: string;
}

export interface SecurityGateway {
  readonly node: NodeGateway;
  readonly upstream: FakeUpstream;
  readonly keys: RoleKeys;
  /** The id of a disposable key the fuzz may revoke, patch or rotate freely. */
  readonly victimKeyId: string;
  /** Lines the gateway logged at error level ("unhandled error" means a 500 was hidden). */
  readonly errorLogs: Record<string, unknown>[];
  /** One request through `gateway.fetch`, in process (no socket between test and gateway). */
  fetch(request: Request): Promise<Response>;
  /** A fresh admin panel session: its cookie header value and CSRF token. */
  signIn(): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

/** Served by the fake upstream; `claude-*` goes through the Anthropic adapter. */
export const MODELS = { main: 'fake-model', anthropic: 'claude-fake', other: 'other-model' } as const;

/**
 * The real gateway (Node bootstrap: SQLite in memory, accounting, admin API, panel, real undici
 * fetch) in front of the scripted fake upstream on 127.0.0.1, with one client key per role.
 */
export async function startSecurityGateway(): Promise<SecurityGateway> {
  const upstream = await startFakeUpstream({ record: false });
  const errorLogs: Record<string, unknown>[] = [];
  const settings = resolveSettings({
    env: { DATABASE_URL: 'sqlite::memory:', ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY: SECRET_KEY, EDGE_SECRET },
    file: {
      path: 'security-config.yaml',
      text: JSON.stringify({
        // No sign-in delay: the fuzz sends many wrong admin secrets.
        admin: { sign_in_delay_ms: 0 },
        // No waiting on real time between attempts or for a cooling channel (a channel the fuzz
        // made, pointing at a closed port, cools after three failures and the router would wait
        // up to 30 s for it): these tests check answers, not retry timing.
        routing: { backoff: { base_ms: 0, max_ms: 0, retry_after_max_ms: 0 } },
        default_model: MODELS.main,
        channels: [
          {
            name: 'main',
            provider: 'openai-compatible',
            base_url: upstream.baseUrl,
            keys: ['up-main-key'],
            models: [MODELS.main],
          },
          {
            name: 'claude',
            provider: 'anthropic',
            base_url: upstream.baseUrl,
            keys: ['up-claude-key'],
            models: [MODELS.anthropic],
          },
          {
            name: 'other',
            provider: 'openai-compatible',
            base_url: upstream.baseUrl,
            keys: ['up-other-key'],
            models: [MODELS.other],
          },
        ],
      }),
    },
  });
  const node = await bootstrap({ settings, logger: recordingLogger(errorLogs), usageSink: () => {} });
  const keys = await createRoleKeys(node);
  const victim = await createClientKey(node.storage.keys, { name: 'victim' });
  const fetchIn = async (request: Request) => node.gateway.fetch(request);
  return {
    node,
    upstream,
    keys,
    victimKeyId: victim.record.id,
    errorLogs,
    fetch: fetchIn,
    async signIn() {
      const res = await fetchIn(
        new Request('http://127.0.0.1/admin/api/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: ADMIN_TOKEN }),
        }),
      );
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const { csrf_token } = (await res.json()) as { csrf_token: string };
      return { cookie, csrf: csrf_token };
    },
    async close() {
      await node.close();
      await upstream.close();
    },
  };
}

async function createRoleKeys(node: NodeGateway): Promise<RoleKeys> {
  const keys = node.storage.keys;
  const now = Date.now();
  await node.storage.users.create({
    id: 'disabled-user',
    name: 'disabled-user',
    email: null,
    notes: null,
    enabled: false,
    createdAt: now,
    updatedAt: now,
  });
  const revoked = await createClientKey(keys, { name: 'revoked' });
  await keys.revoke(revoked.record.id, now);
  return {
    valid: (await createClientKey(keys, { name: 'valid' })).secret,
    revoked: revoked.secret,
    expired: (await createClientKey(keys, { name: 'expired', expiresAt: now - 60_000 })).secret,
    disabledUser: (await createClientKey(keys, { name: 'of-disabled-user', userId: 'disabled-user' })).secret,
    otherModels: (await createClientKey(keys, { name: 'other-models', models: [MODELS.other] })).secret,
    otherChannel: (await createClientKey(keys, { name: 'other-channel', channelId: 'other' })).secret,
  };
}

/** A logger that keeps error lines (and drops the rest): they name any hidden exception. */
function recordingLogger(errors: Record<string, unknown>[]): Logger {
  const drop = () => {};
  return {
    debug: drop,
    info: drop,
    warn: drop,
    error: (fields, message) => {
      errors.push({ ...fields, message });
    },
  };
}
