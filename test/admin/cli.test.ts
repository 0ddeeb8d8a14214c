import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { runCli } from '../support/cli-process.js';
import { errorOf } from '../support/http.js';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from './admin-helpers.js';

let dir: string;
let fake: FakeUpstream;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-admin-cli-'));
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return runCli(args, dir, { LOG_LEVEL: 'silent', ...extra });
}

async function json<T>(args: string[], extra: Record<string, string> = {}): Promise<T> {
  const res = await run([...args, '--json'], extra);
  if (res.code !== 0) throw new Error(`${args.join(' ')} exited ${res.code}: ${res.err}`);
  return JSON.parse(res.out) as T;
}

interface Key {
  id: string;
  key: string;
  name: string;
  status: string;
  purpose: string;
  models: string[];
  limits: { rpm: number | null };
  expires_at: string | null;
  replaces?: string;
}

describe('CLI against the local database', () => {
  it('manages users, scoped keys and channels, with tables by default and --json', {
    timeout: 120_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'local.db')}` };
    const user = await json<{ id: string; name: string }>(
      ['users', 'create', 'alice', '--email', 'a@example.com'],
      db,
    );
    expect(user.name).toBe('alice');

    const before = Date.now();
    const key = await json<Key>(
      [
        'keys',
        'create',
        '--user',
        'alice',
        '--purpose',
        'cursor',
        '--prefix',
        'pk',
        '--models',
        'deepseek/*',
        '--rpm',
        '60',
        '--expires',
        '30d',
      ],
      db,
    );
    expect(key.key).toMatch(/^pk-[A-Za-z0-9]{40}$/);
    expect(key).toMatchObject({
      name: 'alice',
      purpose: 'cursor',
      models: ['deepseek/*'],
      limits: { rpm: 60 },
    });
    const expires = Date.parse(key.expires_at ?? '');
    expect(expires - before).toBeGreaterThan(29 * 86_400_000);
    expect(expires - before).toBeLessThan(31 * 86_400_000);

    const table = await run(['keys', 'list', '--user', 'alice'], db);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^ID\s+NAME\s+USER\s+KEY\s+PURPOSE/);
    expect(table.out).toContain(`pk-…${key.key.slice(-4)}`);
    expect(table.out).not.toContain(key.key);

    const rotated = await json<Key>(['keys', 'rotate', key.id], db);
    expect(rotated.id).toBe(key.id);
    expect(rotated.key).not.toBe(key.key);
    const listed = await json<Key[]>(['keys', 'list', '--user', 'alice'], db);
    expect(listed.map((k) => [k.id, k.status, k.key])).toEqual([
      [key.id, 'active', `pk-…${rotated.key.slice(-4)}`],
    ]);

    const added = await run(
      [
        'channels',
        'add',
        'fake',
        '--provider',
        'openai-compatible',
        '--base-url',
        fake.baseUrl,
        '--keys',
        'cli-upstream-key-9999',
        '--models',
        'gpt-fake',
      ],
      db,
    );
    expect(added.code).toBe(0);
    expect(added.out).toContain('cli…9999');
    expect(added.out).not.toContain('cli-upstream-key-9999');
    const tested = await run(['channels', 'test', 'fake'], db);
    expect(tested.code).toBe(0);
    expect(tested.out).toMatch(/^ok: channel fake, model gpt-fake, status 200/);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer cli-upstream-key-9999');
    expect((await json<{ enabled: boolean }>(['channels', 'disable', 'fake'], db)).enabled).toBe(false);
    expect((await json<{ enabled: boolean }>(['channels', 'enable', 'fake'], db)).enabled).toBe(true);
    expect((await run(['channels', 'remove', 'fake'], db)).code).toBe(0);
    expect(await json<unknown[]>(['channels', 'list'], db)).toEqual([]);

    // A disabled user's keys are refused: the list says so instead of "active".
    expect((await run(['users', 'disable', 'alice'], db)).code).toBe(0);
    const refused = await run(['keys', 'list', '--user', 'alice'], db);
    expect(refused.out.split('\n').find((line) => line.startsWith(rotated.id))).toMatch(
      /\suser_disabled\s*$/,
    );

    const deleted = await run(['users', 'delete', 'alice'], db);
    expect(deleted.out).toContain('1 key(s)');
  });

  it('renames a key with keys update --name, and refuses --user or --prefix there instead of dropping them', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'rename.db')}` };
    const key = await json<Key>(['keys', 'create', '--name', 'two'], db);
    expect((await json<Key>(['keys', 'update', 'two', '--name', 'three'], db)).name).toBe('three');
    const both = await json<Key>(['keys', 'update', key.id, '--name', 'four', '--rpm', '5'], db);
    expect([both.name, both.limits.rpm]).toEqual(['four', 5]);
    for (const option of ['--user', '--prefix']) {
      const refused = await run(['keys', 'update', key.id, option, 'pk', '--rpm', '6'], db);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(`cannot change ${option}`);
    }
    expect((await json<Key>(['keys', 'show', key.id], db)).limits.rpm).toBe(5);
  });

  it('refuses settings given to keys disable/enable (or users disable/enable) instead of ignoring them', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'toggle-options.db')}` };
    const key = await json<Key>(['keys', 'create', '--name', 'toggled'], db);
    for (const [action, option] of [
      ['disable', ['--rpm', '5']],
      ['enable', ['--models', 'gpt-4o']],
    ] as const) {
      const refused = await run(['keys', action, key.id, ...option], db);
      expect(refused.code, action).toBe(2);
      expect(refused.err).toContain(`keys ${action} takes no ${option[0]}`);
    }
    const kept = await json<Key>(['keys', 'show', key.id], db);
    expect([kept.status, kept.limits.rpm, kept.models]).toEqual(['active', null, []]);
    await json(['users', 'create', 'bob'], db);
    const user = await run(['users', 'disable', 'bob', '--email', 'b@example.com'], db);
    expect(user.code).toBe(2);
    expect(user.err).toContain('users disable takes no --email');
    expect((await json<{ enabled: boolean }>(['users', 'show', 'bob'], db)).enabled).toBe(true);
  });

  it("refuses another action's option (keys revoke --expires, users create --name …) instead of ignoring it", {
    timeout: 120_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'foreign-options.db')}` };
    const key = await json<Key>(['keys', 'create', '--name', 'kept'], db);
    await json(['users', 'create', 'dora'], db);
    const add = ['channels', 'add', 'up', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    expect((await run([...add, '--models', 'gpt-fake'], db)).code).toBe(0);
    for (const [args, message] of [
      [['keys', 'show', key.id, '--rpm', '5'], 'keys show takes no --rpm'],
      [['keys', 'rotate', key.id, '--expires', '30d'], 'keys rotate takes no --expires'],
      [['keys', 'revoke', key.id, '--expires', '2027-01-01'], 'keys revoke takes no --expires'],
      [['keys', 'list', '--models', 'gpt-4o'], 'keys list takes no --models'],
      [['keys', 'create', '--name', 'extra', '--limit', '5'], 'keys create takes no --limit'],
      [['keys', 'update', key.id, '--rpm', '7', '--limit', '5'], 'keys update takes no --limit'],
      [['users', 'show', 'dora', '--notes', 'x'], 'users show takes no --notes'],
      [['users', 'create', 'bob', '--limit', '10'], 'users create takes no --limit'],
      [['users', 'create', 'bob', '--name', 'robert'], 'users create takes no --name'],
      [['users', 'list', '--email', 'e@example.com'], 'users list takes no --email'],
      [['users', 'update', 'dora', '--notes', 'x', '--limit', '5'], 'users update takes no --limit'],
      [['users', 'delete', 'dora', '--no-notes'], 'users delete takes no --no-notes'],
      [['channels', 'show', 'up', '--model', 'gpt-fake'], 'channels show takes no --model'],
      [['channels', 'list', '--provider', 'openai'], 'channels list takes no --provider'],
      [['channels', 'test', 'up', '--weight', '2'], 'channels test takes no --weight'],
      [['channels', 'disable', 'up', '--priority', '1'], 'channels disable takes no --priority'],
      [['channels', 'remove', 'up', '--keys', 'k'], 'channels remove takes no --keys'],
      [
        ['channels', 'update', 'up', '--weight', '3', '--model', 'gpt-fake'],
        'channels update takes no --model',
      ],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(message);
    }
    // Nothing was done: the key is neither rotated nor revoked, no user made, changed or deleted.
    const kept = await json<Key>(['keys', 'show', key.id], db);
    expect([kept.status, kept.key, kept.limits.rpm]).toEqual(['active', `sk-…${key.key.slice(-4)}`, null]);
    expect((await json<Key[]>(['keys', 'list'], db)).map((k) => k.name)).toEqual(['kept']);
    const users = await json<{ name: string; notes: string | null }[]>(['users', 'list'], db);
    expect(users.map((u) => u.name)).not.toContain('bob');
    expect(users.find((u) => u.name === 'dora')?.notes).toBeNull();
    const channel = await json<{ enabled: boolean; weight: number }>(['channels', 'show', 'up'], db);
    expect([channel.enabled, channel.weight]).toEqual([true, 1]);
  });

  it('refuses an argument an action does not take (keys list alice, users create bob carol) instead of ignoring it', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'extra-arguments.db')}`, PORT: '0' };
    const key = await json<Key>(['keys', 'create', '--name', 'kept'], db);
    await json(['users', 'create', 'dora'], db);
    const add = ['channels', 'add', 'up', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    expect((await run([...add, '--keys', 'up-upstream-key-0001'], db)).code).toBe(0);
    const keyFile = join(dir, 'extra-arguments.secret-key');
    const sealingKey = readFileSync(keyFile, 'utf8');
    const remote = ['--url', 'http://127.0.0.1:9', '--admin-token', 'token'];
    for (const [args, message] of [
      [['keys', 'list', 'alice'], 'keys list takes no argument "alice" (did you mean --user alice?)'],
      [['keys', 'list', 'alice', 'bob'], 'keys list takes no arguments "alice", "bob"'],
      [['keys', 'create', 'bot'], 'keys create takes no argument "bot" (did you mean --name bot?)'],
      [['keys', 'create', '--name', 'bot', 'x'], 'keys create takes no argument "x"'],
      [['keys', 'show', key.id, 'other'], 'keys show takes one ID|NAME, not also "other"'],
      [['keys', 'update', key.id, 'other', '--rpm', '5'], 'keys update takes one ID|NAME, not also "other"'],
      [['keys', 'disable', key.id, 'other'], 'keys disable takes one ID|NAME, not also "other"'],
      [['keys', 'rotate', key.id, 'other'], 'keys rotate takes one ID|NAME, not also "other"'],
      [['keys', 'revoke', key.id, 'a', 'b'], 'keys revoke takes one ID|NAME, not also "a", "b"'],
      [['users', 'create', 'bob', 'carol'], 'users create takes one NAME, not also "carol"'],
      [['users', 'list', 'dora'], 'users list takes no argument "dora"'],
      [['users', 'update', 'dora', 'x', '--notes', 'n'], 'users update takes one ID|NAME, not also "x"'],
      [['users', 'disable', 'dora', 'x'], 'users disable takes one ID|NAME, not also "x"'],
      [['users', 'delete', 'dora', 'x'], 'users delete takes one ID|NAME, not also "x"'],
      [['channels', 'list', 'up'], 'channels list takes no argument "up"'],
      [['channels', 'add', 'up2', 'x', ...add.slice(3)], 'channels add takes one NAME, not also "x"'],
      [['channels', 'update', 'up', 'x', '--weight', '3'], 'channels update takes one NAME, not also "x"'],
      [['channels', 'show', 'up', 'x'], 'channels show takes one NAME, not also "x"'],
      [
        ['channels', 'test', 'up', 'gpt-fake'],
        'channels test takes one NAME, not also "gpt-fake" (did you mean --model gpt-fake?)',
      ],
      [['channels', 'enable', 'up', 'x'], 'channels enable takes one NAME, not also "x"'],
      [['channels', 'remove', 'up', 'x'], 'channels remove takes one NAME, not also "x"'],
      [['audit', 'list', 'cli'], 'audit list takes no argument "cli"'],
      [['instances', 'list', 'x', ...remote], 'instances list takes no argument "x"'],
      [['secrets', 'rotate', 'now'], 'secrets rotate takes no argument "now"'],
      [['migrate', 'now'], 'migrate takes no argument "now"'],
      [['serve', 'now'], 'serve takes no argument "now"'],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(message);
      expect(refused.err, args.join(' ')).toContain('usage:');
    }
    // Nothing was done: no key made, rotated, revoked or changed, no user made or deleted, the
    // channel neither added, changed nor removed, no secret re-sealed.
    const kept = await json<Key>(['keys', 'show', key.id], db);
    expect([kept.status, kept.key, kept.limits.rpm]).toEqual(['active', `sk-…${key.key.slice(-4)}`, null]);
    expect((await json<Key[]>(['keys', 'list'], db)).map((k) => k.name)).toEqual(['kept']);
    const users = await json<{ name: string; notes: string | null; enabled: boolean }[]>(
      ['users', 'list'],
      db,
    );
    expect(users.map((u) => u.name).sort()).toEqual(['default', 'dora']);
    expect(users.find((u) => u.name === 'dora')).toMatchObject({ notes: null, enabled: true });
    const channels = await json<{ name: string; weight: number }[]>(['channels', 'list'], db);
    expect(channels.map((c) => [c.name, c.weight])).toEqual([['up', 1]]);
    expect(readFileSync(keyFile, 'utf8')).toBe(sealingKey);
  });

  it('disables a channel with channels update --disabled, as channels add --disabled does', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'channel-disabled.db')}` };
    const add = ['channels', 'add', 'up', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    expect((await run(add, db)).code).toBe(0);
    const updated = await json<{ enabled: boolean; weight: number }>(
      ['channels', 'update', 'up', '--weight', '3', '--disabled'],
      db,
    );
    expect([updated.enabled, updated.weight]).toEqual([false, 3]);
    const alone = await json<{ enabled: boolean }>(['channels', 'enable', 'up'], db);
    expect(alone.enabled).toBe(true);
    expect((await json<{ enabled: boolean }>(['channels', 'update', 'up', '--disabled'], db)).enabled).toBe(
      false,
    );
  });

  it('refuses an empty channels option (an unset shell variable) instead of dropping it or sending it empty', {
    timeout: 120_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'channel-empty.db')}` };
    const made = [
      '--provider',
      'openai-compatible',
      '--base-url',
      fake.baseUrl,
      '--keys',
      'up-upstream-key-0001',
    ];
    const maps = ['--models', 'gpt-fake', '--model-map', 'chat=gpt-fake'];
    expect((await run(['channels', 'add', 'up', ...made, ...maps], db)).code).toBe(0);
    const before = await json<Record<string, unknown>>(['channels', 'show', 'up'], db);
    const add = ['channels', 'add', 'c', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    const update = ['channels', 'update', 'up', '--weight', '3'];
    for (const [args, option] of [
      [['channels', 'add', 'c', '--provider', 'openai-compatible', '--base-url', ''], '--base-url'],
      [['channels', 'add', 'c', '--provider', '', '--base-url', fake.baseUrl], '--provider'],
      [[...add, '--keys', ''], '--keys'],
      [[...add, '--models', ' '], '--models'],
      [[...add, '--model-map', ''], '--model-map'],
      [[...add, '--priority', ''], '--priority'],
      [[...add, '--weight', ''], '--weight'],
      [[...update, '--base-url', ''], '--base-url'],
      [[...update, '--provider', ''], '--provider'],
      [[...update, '--keys', ''], '--keys'],
      [[...update, '--models', ''], '--models'],
      [[...update, '--model-map', ' '], '--model-map'],
      [['channels', 'update', 'up', '--weight', ''], '--weight'],
      [['channels', 'test', 'up', '--model', ''], '--model'],
      [['channels', 'list', '--limit', ''], '--limit'],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(
        `${option}: a value is needed, not an empty one`,
      );
    }
    // Nothing was made or changed: no channel without its base URL, none of up's keys, models
    // or aliases dropped (up would have served any model), its weight kept.
    const channels = await json<{ name: string }[]>(['channels', 'list'], db);
    expect(channels.map((c) => c.name)).toEqual(['up']);
    expect(await json<Record<string, unknown>>(['channels', 'show', 'up'], db)).toEqual(before);
  });

  it("clears a channel's models, keys or model map with --no-models / --no-keys / --no-model-map", {
    timeout: 120_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'channel-clear.db')}` };
    type Channel = { keys: string[]; models: string[]; model_map: Record<string, string>; weight: number };
    const add = ['channels', 'add', 'up', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    const settings = [
      '--keys',
      'up-upstream-key-0001',
      '--models',
      'gpt-fake',
      '--model-map',
      'chat=gpt-fake',
    ];
    expect((await run([...add, ...settings], db)).code).toBe(0);

    // Each contradiction, or one given to an action that does not take it, changes nothing.
    for (const [args, message] of [
      [
        ['channels', 'update', 'up', '--no-models', '--models', 'x'],
        '--models and --no-models contradict each other',
      ],
      [
        ['channels', 'update', 'up', '--keys', 'k', '--no-keys'],
        '--keys and --no-keys contradict each other',
      ],
      [
        ['channels', 'update', 'up', '--no-model-map', '--model-map', 'a=b'],
        '--model-map and --no-model-map contradict each other',
      ],
      [['channels', 'add', 'c', '--provider', 'openai', '--no-keys'], 'channels add takes no --no-keys'],
      [['channels', 'show', 'up', '--no-models'], 'channels show takes no --no-models'],
      [['channels', 'test', 'up', '--no-model-map'], 'channels test takes no --no-model-map'],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(message);
    }
    const kept = await json<Channel>(['channels', 'show', 'up'], db);
    expect([kept.keys.length, kept.models, kept.model_map]).toEqual([1, ['gpt-fake'], { chat: 'gpt-fake' }]);
    expect((await json<{ name: string }[]>(['channels', 'list'], db)).map((c) => c.name)).toEqual(['up']);

    const noModels = await json<Channel>(['channels', 'update', 'up', '--no-models'], db);
    expect([noModels.keys.length, noModels.models, noModels.model_map]).toEqual([
      1,
      [],
      { chat: 'gpt-fake' },
    ]);
    const noMap = await json<Channel>(['channels', 'update', 'up', '--no-model-map', '--weight', '2'], db);
    expect([noMap.keys.length, noMap.models, noMap.model_map, noMap.weight]).toEqual([1, [], {}, 2]);
    const noKeys = await json<Channel>(['channels', 'update', 'up', '--no-keys'], db);
    expect([noKeys.keys, noKeys.models, noKeys.model_map]).toEqual([[], [], {}]);
    // Read back: the channel now serves any model, with no upstream key.
    expect(await json<Channel>(['channels', 'show', 'up'], db)).toMatchObject({
      keys: [],
      models: [],
      model_map: {},
    });
    const table = await run(['channels', 'list'], db);
    expect(table.out.split('\n')[1]).toMatch(/^up\s+openai-compatible\s+\S+\s+-\s+\*\s/);
  });

  it("puts a channel back on its provider's default base URL with --no-base-url", {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'channel-base-url.db')}` };
    type Channel = { base_url: string | null; keys: string[] };
    const add = ['channels', 'add', 'proxied', '--provider', 'openai', '--keys', 'sk-proxied-upstream-0001'];
    expect((await run([...add, '--base-url', fake.baseUrl], db)).code).toBe(0);

    for (const [args, message] of [
      [
        ['channels', 'update', 'proxied', '--no-base-url', '--base-url', fake.baseUrl],
        '--base-url and --no-base-url contradict each other',
      ],
      [
        ['channels', 'add', 'other', '--provider', 'openai', '--no-base-url'],
        'channels add takes no --no-base-url',
      ],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(message);
    }
    expect((await json<Channel>(['channels', 'show', 'proxied'], db)).base_url).toBe(fake.baseUrl);

    const reset = await json<Channel>(['channels', 'update', 'proxied', '--no-base-url'], db);
    expect([reset.base_url, reset.keys.length]).toEqual([null, 1]);
    const table = await run(['channels', 'list'], db);
    expect(table.out.split('\n')[1]).toMatch(/^proxied\s+openai\s+\(default\)\s/);

    // A provider with no default URL cannot lose its own: the API says why, nothing changes.
    const custom = ['channels', 'add', 'own', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    expect((await run(custom, db)).code).toBe(0);
    const kept = await run(['channels', 'update', 'own', '--no-base-url'], db);
    expect(kept.code).toBe(1);
    expect(kept.err).toMatch(/base_url/);
    expect((await json<Channel>(['channels', 'show', 'own'], db)).base_url).toBe(fake.baseUrl);
  });

  it("clears a user's email or notes with --no-email / --no-notes, and refuses an empty value", {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'user-clear.db')}` };
    type User = { email: string | null; notes: string | null };
    await json(['users', 'create', 'carol', '--email', 'c@example.com', '--notes', 'team a'], db);
    const refused = await run(['users', 'update', 'carol', '--notes', 'team b', '--email', ''], db);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--email');
    const kept = await json<User>(['users', 'show', 'carol'], db);
    expect([kept.email, kept.notes]).toEqual(['c@example.com', 'team a']);
    const cleared = await json<User>(['users', 'update', 'carol', '--no-email', '--no-notes'], db);
    expect([cleared.email, cleared.notes]).toEqual([null, null]);
    const both = await run(['users', 'update', 'carol', '--no-email', '--email', 'd@example.com'], db);
    expect(both.code).toBe(2);
    expect(both.err).toContain('contradict');
  });

  it('refuses an empty number (an unset shell variable) instead of taking it as 0, and clears a limit with none', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'numbers.db')}` };
    const key = await json<Key & { limits: { budget: number | null } }>(
      ['keys', 'create', '--name', 'capped', '--budget', '5', '--rpm', '60'],
      db,
    );
    for (const [option, value] of [
      ['--budget', ''],
      ['--rpm', ' '],
    ] as const) {
      const refused = await run(['keys', 'update', key.id, option, value], db);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(option);
    }
    expect((await run(['channels', 'add', 'c', '--provider', 'openai', '--priority', ''], db)).code).toBe(2);
    const kept = await json<Key & { limits: { budget: number | null } }>(['keys', 'show', key.id], db);
    expect([kept.limits.budget, kept.limits.rpm]).toEqual([5, 60]);
    const cleared = await json<Key & { limits: { budget: number | null } }>(
      ['keys', 'update', key.id, '--budget', 'none'],
      db,
    );
    expect([cleared.limits.budget, cleared.limits.rpm]).toEqual([null, 60]);
  });

  it('refuses an empty --expires, --user or --channel (an unset shell variable) instead of dropping it', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'empty-values.db')}` };
    for (const option of ['--expires', '--user', '--channel']) {
      const refused = await run(['keys', 'create', '--name', 'ci-bot', option, ''], db);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(option);
    }
    // None was made: not a key that never expires, nor one of the default user's.
    expect(await json<Key[]>(['keys', 'list'], db)).toEqual([]);
    const key = await json<Key>(['keys', 'create', '--name', 'ci-bot', '--expires', '30d'], db);
    const refused = await run(['keys', 'update', key.id, '--rpm', '5', '--expires', ' '], db);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--expires');
    const kept = await json<Key>(['keys', 'show', key.id], db);
    expect([kept.expires_at, kept.limits.rpm]).toEqual([key.expires_at, null]);
  });

  it('refuses --expires given a bare number (45, meant as days) rather than reading it as the year 2045', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'bare-expiry.db')}` };
    const refused = await run(['keys', 'create', '--name', 'trial', '--expires', '45'], db);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--expires');
    expect(refused.err).toContain('45d');
    expect(await json<Key[]>(['keys', 'list'], db)).toEqual([]);
  });

  it('unbinds a key from its channel (--no-channel) and drops its own upstream key (--no-byok)', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'unbind.db')}` };
    const add = ['channels', 'add', 'bound', '--provider', 'openai-compatible', '--base-url', fake.baseUrl];
    expect((await run([...add, '--keys', 'bound-upstream-key-0001'], db)).code).toBe(0);
    const key = await json<Key & { channel_id: string | null }>(
      ['keys', 'create', '--name', 'pinned', '--channel', 'bound'],
      db,
    );
    expect(key.channel_id).toBe('bound');
    const refused = await run(['channels', 'remove', 'bound'], db);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('--no-channel');
    const unbound = await json<Key & { channel_id: string | null }>(
      ['keys', 'update', 'pinned', '--no-channel'],
      db,
    );
    expect(unbound.channel_id).toBeNull();
    expect((await run(['channels', 'remove', 'bound'], db)).code).toBe(0);

    const byok = ['--byok-provider', 'openai-compatible', '--byok-key', 'own-upstream-key-0002'];
    expect((await json<{ byok: unknown }>(['keys', 'update', 'pinned', ...byok], db)).byok).not.toBeNull();
    expect((await json<{ byok: unknown }>(['keys', 'update', 'pinned', '--no-byok'], db)).byok).toBeNull();
    const both = await run(['keys', 'update', 'pinned', '--no-channel', '--channel', 'x'], db);
    expect(both.code).toBe(2);
  });

  it('refuses an empty --url or --admin-token (an unset shell variable) instead of acting on the local database', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'empty-url.db')}` };
    const key = await json<Key>(['keys', 'create', '--name', 'two'], db);
    await json(['users', 'create', 'dora'], db);
    // A gateway in the environment too: an empty --url must not fall back to the local database.
    const gateway = { ...db, SWITCHBOARD_URL: 'http://127.0.0.1:9', ADMIN_TOKEN };
    for (const args of [
      ['keys', 'revoke', 'two', '--url', ''],
      ['keys', 'revoke', 'two', '--url', ' ', '--admin-token', 'token'],
      ['keys', 'list', '--url', ''],
      ['users', 'delete', 'dora', '--url', ''],
      ['channels', 'list', '--url', ''],
      ['audit', 'list', '--url', ''],
      ['instances', 'list', '--url', ''],
    ]) {
      const refused = await run(args, gateway);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe('--url: a value is needed, not an empty one');
    }
    for (const [args, env] of [
      [['keys', 'revoke', 'two', '--admin-token', ''], db],
      [['keys', 'revoke', 'two', '--url', 'http://127.0.0.1:9', '--admin-token', ''], gateway],
      [['users', 'delete', 'dora', '--admin-token', ' '], db],
      [['channels', 'list', '--admin-token', ''], db],
      [['audit', 'list', '--admin-token', ''], db],
      [['instances', 'list', '--url', 'http://127.0.0.1:9', '--admin-token', ''], db],
    ] as const) {
      const refused = await run([...args], env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(
        '--admin-token: a value is needed, not an empty one',
      );
    }
    for (const args of [
      ['keys', 'list', '--limit', ''],
      ['users', 'list', '--limit', ' '],
    ]) {
      const refused = await run(args, db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe('--limit: a value is needed, not an empty one');
    }
    // Nothing was done: the key is not revoked, dora not deleted.
    expect((await json<Key>(['keys', 'show', key.id], db)).status).toBe('active');
    expect((await json<{ name: string }>(['users', 'show', 'dora'], db)).name).toBe('dora');

    // An empty SWITCHBOARD_URL or ADMIN_TOKEN in the environment is as good as unset: the local
    // database without a URL, and with one, "--url needs --admin-token".
    for (const blank of ['', ' ']) {
      const local = await json<{ name: string }[]>(['users', 'list'], {
        ...db,
        SWITCHBOARD_URL: blank,
        ADMIN_TOKEN,
      });
      expect(local.map((u) => u.name).sort()).toEqual(['default', 'dora']);
      const noToken = await run(['users', 'list'], {
        ...db,
        SWITCHBOARD_URL: 'http://127.0.0.1:9',
        ADMIN_TOKEN: blank,
      });
      expect(noToken.code).toBe(2);
      expect(noToken.err.split('\n')[0]).toBe(
        '--url needs --admin-token (or ADMIN_TOKEN in the environment)',
      );
    }
    const instances = await run(['instances', 'list'], {
      ...db,
      SWITCHBOARD_URL: ' ',
      ADMIN_TOKEN,
    });
    expect(instances.code).toBe(2);
    expect(instances.err).toContain('give --url URL (or SWITCHBOARD_URL)');
  });

  it('refuses --admin-token without a URL instead of acting on the local database', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'token-no-url.db')}` };
    const key = await json<Key>(['keys', 'create', '--name', 'two'], db);
    await json(['users', 'create', 'dora'], db);
    const message =
      '--admin-token needs --url (or SWITCHBOARD_URL): without one the command acts on the local database';
    for (const [args, env] of [
      [['keys', 'revoke', 'two', '--admin-token', 'token'], db],
      [['keys', 'revoke', 'two', '--admin-token', 'token'], { ...db, SWITCHBOARD_URL: '' }],
      [['users', 'delete', 'dora', '--admin-token', 'token'], { ...db, SWITCHBOARD_URL: ' ' }],
      [['keys', 'list', '--admin-token', 'token'], db],
      [['channels', 'list', '--admin-token', 'token'], db],
      [['audit', 'list', '--admin-token', 'token'], db],
      [['instances', 'list', '--admin-token', 'token'], db],
    ] as const) {
      const refused = await run([...args], env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(message);
    }
    // Nothing was done locally: the key is not revoked, dora not deleted.
    expect((await json<Key>(['keys', 'show', key.id], db)).status).toBe('active');
    expect((await json<{ name: string }>(['users', 'show', 'dora'], db)).name).toBe('dora');
    // ADMIN_TOKEN in the environment alone is not a choice made on this command line.
    const local = await json<{ name: string }[]>(['users', 'list'], { ...db, ADMIN_TOKEN });
    expect(local.map((u) => u.name).sort()).toEqual(['default', 'dora']);
  });

  it('refuses a --limit outside what a list takes (keys/users/channels list --limit 0) as a wrong command line', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'limit-range.db')}` };
    for (const name of ['one', 'two']) await json(['keys', 'create', '--name', name], db);
    for (const [args, text] of [
      [['keys', 'list', '--limit', '0'], '0'],
      [['users', 'list', '--limit', '0'], '0'],
      [['channels', 'list', '--limit', '0'], '0'],
      [['keys', 'list', '--limit', '1.5'], '1.5'],
      [['users', 'list', '--limit', 'ten'], 'ten'],
      [['keys', 'list', '--limit=-3'], '-3'],
    ] as const) {
      const refused = await run([...args], db);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err.split('\n')[0], args.join(' ')).toBe(
        `--limit: "${text}" is not a whole number of 1 or more`,
      );
    }
    // The lists page through the API, so a count above one page is taken.
    expect((await json<Key[]>(['keys', 'list', '--limit', '1'], db)).length).toBe(1);
    expect((await json<Key[]>(['keys', 'list', '--limit', '501'], db)).length).toBe(2);
  });

  it('exits 2 on a wrong command line and 1 on a refused call, with one clear message', {
    timeout: 60_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'errors.db')}` };
    const usage = await run(['keys', 'create', '--purpose', 'cursor'], db);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--name');
    const unknownOption = await run(['users', 'list', '--bogus'], db);
    expect(unknownOption.code).toBe(2);
    const refused = await run(['keys', 'create', '--name', 'x', '--purpose', 'nonsense'], db);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: purpose: .*\(invalid_request\)\n$/);
    const missing = await run(['users', 'show', 'nobody'], db);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('resource_not_found');
    const noToken = await run(['users', 'list', '--url', 'http://127.0.0.1:9'], db);
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('--admin-token');
  });
});

describe('CLI against a running gateway (--url)', () => {
  let gw: AdminGateway;
  beforeAll(async () => {
    gw = await startAdminGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('creates a user, a key and a channel that the gateway uses at once, and rotates the key', {
    timeout: 60_000,
  }, async () => {
    const remote = ['--url', gw.url, '--admin-token', ADMIN_TOKEN];
    await json(['users', 'create', 'bob', ...remote]);
    const added = await run([
      'channels',
      'add',
      'live',
      '--provider',
      'openai-compatible',
      '--base-url',
      fake.baseUrl,
      '--keys',
      'remote-upstream-key-4242',
      '--models',
      'gpt-live',
      ...remote,
    ]);
    expect(added.code).toBe(0);
    const key = await json<Key>(['keys', 'create', '--user', 'bob', '--models', 'gpt-*', ...remote]);
    expect((await gw.chat(key.key, 'gpt-live')).status).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer remote-upstream-key-4242');

    const rotated = await json<Key>(['keys', 'rotate', key.id, ...remote]);
    const old = await gw.chat(key.key, 'gpt-live');
    expect(old.status).toBe(401);
    expect((await errorOf(old)).code).toBe('invalid_api_key');
    expect((await gw.chat(rotated.key, 'gpt-live')).status).toBe(200);

    await json(['channels', 'disable', 'live', ...remote]);
    expect((await gw.chat(rotated.key, 'gpt-live')).status).toBe(404);

    const wrong = await run(['users', 'list', '--url', gw.url, '--admin-token', 'wrong-token-wrong-token']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('invalid_admin_token');
  });
});
