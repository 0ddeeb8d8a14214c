import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time by function and by
 * package, so the hot spots of the gateway process can be read without a browser.
 * Usage: npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top]
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const where = shortUrl(frame.url);
  const fn = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const pkg = packageOf(frame.url, frame.functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}

const print = (title: string, table: Map<string, number>, limit: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
process.stdout.write(`total sampled ${(total / 1e6).toFixed(1)} s\n`);
print('self time by package', byPackage, 20);
print('self time by function', byFunction, top);

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i !== -1) return url.slice(i + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  return d !== -1 ? url.slice(d + 1) : url.replace(/^file:\/\//, '');
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const i = url.lastIndexOf('node_modules/');
  if (i !== -1) {
    const rest = url.slice(i + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  const d = url.indexOf('/dist/');
  return d !== -1
    ? `switchboard ${url
        .slice(d + 1)
        .split('/')
        .slice(0, 2)
        .join('/')}`
    : url;
}
