import type { HealthCheck } from '../spec/health-check.js';

/**
 * The usage backlog `GET /health` reports (its `usage` part's `backlog`), for the metric that
 * mirrors it; null when no part reports one.
 */
export async function reportedBacklog(checks: readonly HealthCheck[]): Promise<number | null> {
  const usage = checks.find((check) => check.name === 'usage');
  if (!usage) return null;
  const { detail } = await usage.check();
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return null;
  const backlog = detail.backlog;
  return typeof backlog === 'number' ? backlog : null;
}
