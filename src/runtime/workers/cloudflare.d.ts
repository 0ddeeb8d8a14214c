/**
 * The few Workers runtime types this folder uses, declared here instead of loading
 * @cloudflare/workers-types globally (its globals clash with the DOM and Node types the rest
 * of the project compiles against).
 */
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import('./cloudflare-types.js').DurableObjectState;
    protected env: Env;
    constructor(ctx: import('./cloudflare-types.js').DurableObjectState, env: Env);
  }
}
