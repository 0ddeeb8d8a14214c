// The Workers bundle check (`npm run check:bundle`): bundles the runtime-neutral core — the
// composition root, the gateway and the memory stores — the way a Workers build would
// (platform neutral, the `workerd` condition) and fails when anything in it reaches a Node
// builtin or a Node-only folder, printing the import chain that brings it in. Prints the size.
//
//   node scripts/check-core-bundle.mjs [--json] [extra entry files…]
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a Workers entry imports; everything reachable from here must run on Workers. */
const CORE_ENTRIES = [
  'src/app/create-app.ts',
  'src/gateway.ts',
  'src/storage/memory/memory-storage.ts',
  'src/storage/memory/memory-counters.ts',
  'src/storage/memory/memory-change-feed.ts',
  'src/storage/memory/memory-response-cache.ts',
];
/** Node-only by design: a core file importing one of these is the defect. */
const NODE_ONLY_DIRS = ['src/runtime/node/', 'src/storage/sqlite/', 'src/storage/postgres/', 'src/cli/'];
/** Must not be in the bundle (4 of a core's 5.4 MB); runtimes that load it do so themselves. */
const HEAVY_PACKAGES = ['gpt-tokenizer'];

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

export async function checkCoreBundle(extraEntries = []) {
  const entries = [...CORE_ENTRIES, ...extraEntries.map((e) => relative(root, resolve(e)))];
  const builtinsSeen = [];
  const result = await build({
    absWorkingDir: root,
    stdin: {
      contents: entries.map((e) => `export * as ${safeName(e)} from './${e}';`).join('\n'),
      resolveDir: root,
      sourcefile: '<workers-entry>',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    outfile: 'core.js',
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    minify: true,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (!args.path.startsWith('node:') && !BUILTINS.has(args.path)) return undefined;
            builtinsSeen.push({ module: args.path, importer: relative(root, args.importer) });
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const graph = importGraph(result.metafile);
  const problems = [];
  for (const { module, importer } of builtinsSeen)
    problems.push(`Node builtin "${module}": ${chainTo(graph, importer).concat(module).join('\n    → ')}`);
  for (const input of Object.keys(result.metafile.inputs)) {
    if (NODE_ONLY_DIRS.some((dir) => input.startsWith(dir)))
      problems.push(`Node-only file ${input}: ${chainTo(graph, input).join('\n    → ')}`);
  }
  for (const name of HEAVY_PACKAGES) {
    const input = Object.keys(result.metafile.inputs).find((i) => i.includes(`node_modules/${name}/`));
    if (input) problems.push(`${name} is bundled: ${chainTo(graph, input).join('\n    → ')}`);
  }
  const bytes = result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
  return { bytes, inputs: Object.keys(result.metafile.inputs).length, problems: dedupe(problems) };
}

/** importer → imported, for the inputs esbuild bundled. */
function importGraph(metafile) {
  const graph = new Map();
  for (const [path, input] of Object.entries(metafile.inputs))
    graph.set(
      path,
      input.imports.filter((i) => !i.external).map((i) => i.path),
    );
  return graph;
}

/** The shortest import chain from the entry to `target` (breadth-first). */
function chainTo(graph, target) {
  const start = '<workers-entry>';
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    if (node === target) break;
    for (const next of graph.get(node) ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  if (!previous.has(target)) return [target];
  const chain = [];
  for (let node = target; node !== null; node = previous.get(node)) chain.unshift(node);
  return chain;
}

function safeName(path) {
  return `m_${path.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function dedupe(items) {
  return [...new Set(items)];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const { bytes, inputs, problems } = await checkCoreBundle(args.filter((a) => a !== '--json')).catch(
    (err) => ({
      bytes: 0,
      inputs: 0,
      problems: (err.errors ?? [err]).map((e) => `build failed: ${e.text ?? e.message}`),
    }),
  );
  if (json) console.log(JSON.stringify({ bytes, inputs, problems }));
  else {
    console.log(
      `core bundle (platform neutral, workerd condition, minified): ${(bytes / 1024).toFixed(1)} kB from ${inputs} files`,
    );
    for (const problem of problems) console.error(`not runtime-neutral: ${problem}`);
  }
  process.exitCode = problems.length > 0 ? 1 : 0;
}
