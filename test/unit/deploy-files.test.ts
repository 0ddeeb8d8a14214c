import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';

/**
 * The Docker files cannot be built on the development machine (no daemon, no Docker Hub), so
 * these checks hold what would otherwise break silently: instances with different secrets, a
 * balancer that misses one, a health check on the wrong path, a CMD naming a file the build
 * does not make, a proxy that buffers streams.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(repo(path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  env_file?: (string | { path: string; required?: boolean })[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
/** The services running the gateway server (not the one-shot migrate). */
const gateways = Object.entries(services).filter(([, s]) => s.command?.includes('serve'));

/** KEY=value lines of deploy/.env.example, as Compose reads an env file. */
const exampleEnv = Object.fromEntries(
  read('deploy/.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Compose's `${NAME}` / `${NAME:?message}` interpolation from the env file given with --env-file. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    const found = env[name];
    if (found === undefined) throw new Error(`${name} is not in deploy/.env.example`);
    return found;
  });
}

/** The environment one service's process sees: its env files, then `environment:` over them. */
function processEnv(service: ComposeService): Record<string, string> {
  const files = (service.env_file ?? []).map((f) => (typeof f === 'string' ? f : f.path));
  expect(files).toEqual(['deploy/.env']);
  const own = Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), exampleEnv)]),
  );
  return { ...exampleEnv, ...own };
}

const dockerfile = read('Dockerfile');
/** The JSON-array arguments of the last `<INSTRUCTION> [...]` line (continuations joined). */
function jsonInstruction(instruction: string): string[] {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const lines = joined.split('\n').filter((line) => line.startsWith(`${instruction} `));
  const last = lines.at(-1);
  if (last === undefined) throw new Error(`no ${instruction} in the Dockerfile`);
  return JSON.parse(last.slice(last.indexOf('['))) as string[];
}
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

describe('docker-compose.yml', () => {
  it('runs two gateway instances with the same environment, secrets from deploy/.env', () => {
    expect(gateways.map(([name]) => name).sort()).toEqual(['gateway-1', 'gateway-2']);
    const [first, second] = gateways.map(([, s]) => processEnv(s));
    expect(second).toEqual(first);
    // The secrets come from the env file, never written into the compose file itself.
    for (const [, s] of gateways) {
      expect(Object.keys(s.environment ?? {})).not.toContain('SWITCHBOARD_SECRET_KEY');
      expect(Object.keys(s.environment ?? {})).not.toContain('ADMIN_TOKEN');
    }
    expect(first?.SWITCHBOARD_SECRET_KEY).toBeTruthy();
    expect(first?.ADMIN_TOKEN).toBeTruthy();
    expect(first?.REDIS_KEY_PREFIX).toBeTruthy();
  });

  it('gives every instance Postgres and Redis, with values the gateway accepts', () => {
    for (const [, s] of gateways) {
      const env = processEnv(s);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/switchboard:[^@]+@postgres:5432\/switchboard$/);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      // Once its placeholders are replaced, the example passes the gateway's own validation
      // (secret lengths, URL shapes); left unedited, the gateway refuses its public secrets.
      expect(() => envSchema.parse(env)).toThrow(/ADMIN_TOKEN is still the placeholder/);
      const edited = {
        ...env,
        ADMIN_TOKEN: 'Xq7vLr2NwP9sKd4TfB6hJm8cYz3Ga5Ue',
        SWITCHBOARD_SECRET_KEY: 'Rb3Nc8Wk2Lp6Vt9Mf4Hs7Dq5Jx1Gz0Ay',
      };
      expect(() => envSchema.parse(edited)).not.toThrow();
      // Same channel configuration file for every instance.
      expect(s.volumes).toContain('./deploy/switchboard.yaml:/etc/switchboard/switchboard.yaml:ro');
      expect(env.CONFIG).toBe('/etc/switchboard/switchboard.yaml');
    }
    expect(existsSync(repo('deploy/switchboard.yaml'))).toBe(true);
  });

  it('keeps Redis on disk: its usage stream holds records not yet in Postgres', () => {
    const command = (services.redis?.command ?? []) as string[];
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(services.redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('migrates once before the instances start, which then refuse to migrate themselves', () => {
    const migrate = services.migrate;
    expect(migrate?.command).toEqual(['node', 'dist/cli/main.js', 'migrate']);
    expect(processEnv(migrate as ComposeService).DATABASE_URL).toBe(
      processEnv(gateways[0]?.[1] as ComposeService).DATABASE_URL,
    );
    for (const [, s] of gateways) {
      expect(s.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(s.command).toEqual([...jsonInstruction('CMD'), '--no-migrate']);
    }
  });

  it('keeps the usage records Redis holds for Postgres across a Redis restart', () => {
    // With REDIS_URL the usage buffer is a Redis stream: not rebuilt by the gateways like the rest.
    const redis = services.redis as ComposeService;
    const args = redis.command ?? [];
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    const volume = redis.volumes?.find((v) => v.endsWith(':/data'));
    expect(volume?.split(':')[0]).toBe('redis-data');
    expect(Object.keys(compose.volumes ?? {})).toContain('redis-data');
  });

  it('puts the balancer in front of every instance, started once they are healthy', () => {
    const lb = services.lb as ComposeService;
    expect(lb.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    for (const [name] of gateways) expect(lb.depends_on?.[name]?.condition).toBe('service_healthy');
  });
});

describe('deploy/nginx.conf', () => {
  const nginx = read('deploy/nginx.conf').replace(/#.*$/gm, '');

  it('balances over exactly the compose instances, on the port they listen on', () => {
    const servers = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    const expected = gateways.map(([name, s]) => `${name}:${processEnv(s).PORT}`);
    expect(servers.sort()).toEqual(expected.sort());
  });

  it('passes streams on unbuffered, with read time-outs longer than a channel may stay silent', () => {
    expect(nginx).toMatch(/^\s*proxy_buffering\s+off;/m);
    expect(nginx).toMatch(/^\s*proxy_http_version\s+1\.1;/m);
    const readTimeout = nginx.match(/^\s*proxy_read_timeout\s+(\d+)s;/m);
    // idle_ms defaults to 120 s (docs/routing.md).
    expect(Number(readTimeout?.[1])).toBeGreaterThan(120);
    expect(nginx).toMatch(/^\s*client_max_body_size\s+\d+m;/m);
  });
});

describe('Dockerfile', () => {
  it('runs the CLI entry point the build makes, as package.json names it', () => {
    const cmd = jsonInstruction('CMD');
    expect(cmd).toEqual(['node', 'dist/cli/main.js', 'serve']);
    const pkg = JSON.parse(read('package.json')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin.switchboard).toBe(cmd[1]);
    // tsc maps src/cli/main.ts to dist/cli/main.js: rootDir src, outDir dist.
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: Record<string, string> };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(repo('src/cli/main.ts'))).toBe(true);
    expect(pkg.scripts.build).toContain('build:server');
    if (existsSync(repo('dist'))) expect(existsSync(repo(cmd[1] as string))).toBe(true);
  });

  it('copies into the runtime stage what the server reads at run time, and runs as non-root', () => {
    for (const path of ['package.json', 'node_modules', 'dist', 'ui/dist']) {
      expect(runtimeStage).toMatch(new RegExp(`COPY --from=build .*/app/${path} \\./${path}\\n`));
    }
    expect(runtimeStage).toMatch(/^USER node$/m);
    expect(runtimeStage).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtimeStage).toContain('DATABASE_URL=sqlite:/data/switchboard.db');
    // Postgres without Redis journals usage to a file until Postgres has it: it must be on the
    // volume, the one place the node user may write (the working directory /app is root's).
    const bufferFile = runtimeStage.match(/USAGE_BUFFER_FILE=(\S+)/)?.[1];
    expect(bufferFile).toMatch(/^\/data\/[^/]+$/);
    expect(runtimeStage).toMatch(/^WORKDIR \/app$/m);
    expect(resolveSettings({ env: { USAGE_BUFFER_FILE: bufferFile } }).accounting.usage.buffer.file).toBe(
      bufferFile,
    );
    // Production dependencies only: pruned in the build stage, after the build needed the rest.
    expect(dockerfile).toMatch(/npm run build \\\n\s*&& npm prune --omit=dev/);
  });

  it('keeps secrets, data and local builds out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.git', 'node_modules', 'dist', 'data', '.env', 'deploy/.env']) {
      expect(ignored).toContain(entry);
    }
    for (const copied of ['src', 'ui', 'package.json', 'package-lock.json'])
      expect(ignored).not.toContain(copied);
  });

  describe('HEALTHCHECK', () => {
    let server: Server | undefined;
    afterEach(() => server?.close());
    const healthcheck = dockerfile.replace(/\\\n\s*/g, ' ').match(/^HEALTHCHECK .*CMD (\[.*\])$/m)?.[1];
    const argv = JSON.parse(healthcheck ?? '[]') as string[];

    /**
     * Runs the HEALTHCHECK command as Docker would, against a server answering `status` on the
     * address `serve` binds for HOST (a wildcard listens everywhere, loopback included).
     */
    async function probe(
      status: number | null,
      host = '0.0.0.0',
    ): Promise<{ exit: number | null; paths: string[] }> {
      const paths: string[] = [];
      let port = 1; // nothing listens there: the connection is refused
      if (status !== null) {
        const listening = createServer((req, res) => {
          paths.push(req.url ?? '');
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
        });
        server?.close(); // the previous probe's, in a test that probes several times
        server = listening;
        await new Promise<void>((done) => listening.listen(0, host, done));
        port = (listening.address() as AddressInfo).port;
      }
      // Asynchronous: the server above answers from this process's event loop.
      const child = spawn(process.execPath, argv.slice(1), {
        env: { ...process.env, HOST: host, PORT: String(port) },
        stdio: 'ignore',
      });
      const exit = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      return { exit, paths };
    }

    it('is a Node one-liner (slim images have no curl) asking /health on PORT', async () => {
      expect(argv[0]).toBe('node');
      const up = await probe(200);
      expect(up).toEqual({ exit: 0, paths: ['/health'] });
    });

    it('asks the address HOST names, as serve binds it (IPv4, IPv6, or a wildcard on loopback)', async () => {
      for (const host of ['127.0.0.2', '::1', '::']) expect((await probe(200, host)).exit, host).toBe(0);
    });

    it('fails when /health answers 503 (the instance cannot serve) or nothing listens', async () => {
      expect((await probe(503)).exit).toBe(1);
      expect((await probe(null)).exit).toBe(1);
    });
  });
});
