/**
 * True when a V8 flag matching `pattern` was given on the command line or in NODE_OPTIONS (Node
 * accepts only a few V8 flags there, e.g. `--max-semi-space-size`).
 */
export function v8FlagGiven(pattern: RegExp): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => pattern.test(arg));
}
