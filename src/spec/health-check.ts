import type { JsonValue } from './json.js';

/**
 * One part of the gateway `GET /health` reports beside the storage: shared state (Redis), the
 * usage buffer's backlog, the instance. `degraded: true` means requests are still served but
 * something is not as configured (limits per process while Redis is away, say); the response
 * stays 200 so a load balancer keeps the instance, and says `"degraded": true`.
 */
export interface HealthCheck {
  /** The field of the /health body this part's detail goes in. */
  readonly name: string;
  check(): HealthCheckResult | Promise<HealthCheckResult>;
}

export interface HealthCheckResult {
  readonly degraded: boolean;
  readonly detail: JsonValue;
}
