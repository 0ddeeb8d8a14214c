import { createSignInThrottle } from '../../src/admin/session/sign-in-throttle.js';
import { runSignInThrottleContract } from './sign-in-throttle.contract.js';

runSignInThrottleContract('memory', async (options) => {
  const throttle = createSignInThrottle(options);
  // One process: the "other handle" a shared backend would give is the same instance.
  return { throttle, peer: throttle };
});
