import type { Principal } from '../spec/principal.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';

/** Per-request values the middleware chain hands down. */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    /** The key a request was refused for (revoked, expired, disabled…), for its usage record. */
    refusedKey: Principal;
    usage: UsageRecorder;
  };
}
