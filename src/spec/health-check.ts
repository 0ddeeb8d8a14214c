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
  /**
   * This part keeps the instance serving while its database does not answer (a durable usage
   * buffer: known keys from the key cache, usage records held until the database is back), so
   * an unreachable database makes `/health` degraded (200) rather than 503.
   */
  readonly servesWithoutStorage?: boolean;
  check(): HealthCheckResult | Promise<HealthCheckResult>;
}

export interface HealthCheckResult {
  readonly degraded: boolean;
  readonly detail: JsonValue;
  /**
   * Because of this part the instance refuses model requests (its usage buffer is full):
   * `/health` answers 503, so a balancer sends the traffic to instances that can serve it.
   */
  readonly refusing?: boolean;
}
