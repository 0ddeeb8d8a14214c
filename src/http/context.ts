import type { KeySource } from '../auth/extract-key.js';
import type { RequestScope } from '../pipeline/request-scope.js';
import type { Principal } from '../spec/principal.js';
import type { AuditActor } from '../storage/audit-port.js';

/** Per-request values the middleware chain hands down. */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    /** The key a request was refused for (revoked, expired, disabled…), for its usage record. */
    refusedKey: Principal;
    /** The pipeline's per-request state: the usage tap and the headers every answer carries. */
    scope: RequestScope;
    /** Where this route's clients send their key (absent: Authorization Bearer or x-api-key). */
    keySource: KeySource;
    /** Who is making an admin call (set by the admin check), for the audit log. */
    adminActor: AuditActor;
  };
}
