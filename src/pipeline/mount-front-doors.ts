import type { Hono, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../http/context.js';
import type { FrontDoor } from './front-door.js';
import { type FrontDoorSteps, frontDoorSteps, type PipelineDeps, skip } from './run-request.js';

/**
 * Mounts front doors under one mount point, in order. Doors answering custom methods of one
 * path (Gemini's `/models/{model}:generateContent`, `:streamGenerateContent`, `:countTokens`) are
 * one route, `POST {base}/models/*`, that hands each request to its method's door: a pattern per
 * method (`/models/:target{.+:generateContent}` beside `{.+:countTokens}`) cannot be compiled into
 * Hono's RegExpRouter, and one such route makes every request of the gateway pay for the slower
 * TrieRouter (test/e2e/fast-router.test.ts).
 */
export function mountFrontDoors(
  app: Hono<GatewayEnv>,
  base: string,
  doors: readonly FrontDoor[],
  deps: PipelineDeps,
): void {
  const grouped = new Set<string>();
  for (const door of doors) {
    if (door.customMethod === undefined) {
      mount(app, door.method, `${base}${door.path}`, frontDoorSteps(base, door, deps));
      continue;
    }
    if (grouped.has(door.path)) continue;
    grouped.add(door.path);
    const byMethod = new Map<string, FrontDoorSteps>();
    for (const d of doors)
      if (d.path === door.path && d.customMethod !== undefined)
        byMethod.set(d.customMethod, frontDoorSteps(base, d, deps));
    mount(app, door.method, `${base}${door.path}`, customMethodSteps(`${base}${door.path}`, byMethod));
  }
}

function mount(
  app: Hono<GatewayEnv>,
  method: FrontDoor['method'],
  path: string,
  steps: FrontDoorSteps,
): void {
  // Hono runs a path's handlers in the order they were added, one level of its dispatch each: a
  // promise and an async frame that the request holds until it ends. A step that only passes the
  // request on (a door without its own errors or key source) is left out.
  for (const step of steps) {
    if (step === skip) continue;
    if (method === 'ALL') app.all(path, step);
    else app.post(path, step);
  }
}

/**
 * The steps of the door whose custom method the request names (the text after the last `:` of
 * the path under `pattern`, with something before it, as `/models/:target{.+:method}` matched);
 * for any other request each step only passes it on, to the routes mounted after this one.
 */
function customMethodSteps(pattern: string, byMethod: ReadonlyMap<string, FrontDoorSteps>): FrontDoorSteps {
  if (!pattern.endsWith('/*')) throw new Error(`a custom-method door's path must end in /*: ${pattern}`);
  const prefix = pattern.slice(0, -1);
  const stepsFor = (path: string): FrontDoorSteps | undefined => {
    const colon = path.lastIndexOf(':');
    // A router pattern's `.` matches no line break: neither does the model part here.
    if (colon <= prefix.length || !path.startsWith(prefix) || LINE_BREAK.test(path)) return undefined;
    return byMethod.get(path.slice(colon + 1));
  };
  const step =
    (index: number): MiddlewareHandler<GatewayEnv> =>
    async (c, next) => {
      const steps = stepsFor(c.req.path);
      if (steps) return steps[index]?.(c, next);
      await next();
    };
  return [step(0), step(1), step(2), step(3), step(4), step(5)];
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;
