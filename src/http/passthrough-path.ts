import { pathProblem, unsafePath } from '../providers/shared/upstream-url.js';

/**
 * The client's path below `base` and its query, read from the raw request URL. Hono's
 * `c.req.path` is already decoded (`%5c` → `\`), which is what let `..%5c` climb out of the base
 * path; the raw form keeps every escape, so each layer can be checked. Throws a 400 for a path
 * that could leave the base path.
 */
export function passthroughTarget(rawUrl: string, base: string): { path: string; search: string } {
  // Not `new URL()`: it would resolve `%2e%2e` segments before they could be refused.
  const start = rawUrl.indexOf('/', rawUrl.indexOf('://') + 3);
  const tail = start === -1 ? '/' : rawUrl.slice(start);
  const hash = tail.indexOf('#');
  const beforeHash = hash === -1 ? tail : tail.slice(0, hash);
  const query = beforeHash.indexOf('?');
  const fullPath = query === -1 ? beforeHash : beforeHash.slice(0, query);
  const search = query === -1 ? '' : beforeHash.slice(query);
  // The router matched the decoded path against `base`; its segment count is the same raw.
  const baseSegments = base.split('/').length - 1;
  const rest = fullPath.split('/').slice(baseSegments + 1);
  const path = rest.length === 0 ? '' : `/${rest.join('/')}`;
  const problem = pathProblem(path);
  if (problem) throw unsafePath(problem);
  return { path, search: search === '?' ? '' : search };
}
