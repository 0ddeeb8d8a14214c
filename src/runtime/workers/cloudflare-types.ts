/**
 * Structural types of the Workers bindings this runtime uses: only the members called here.
 * The real objects (workerd's) satisfy them; see cloudflare.d.ts for why they are not imported.
 */

export interface D1Result<T = Record<string, unknown>> {
  readonly results: T[];
  readonly success: boolean;
  readonly meta: { readonly changes: number; readonly last_row_id: number | null };
  readonly error?: string;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
}

export interface D1Database {
  prepare(query: string): D1PreparedStatement;
  /** Runs the statements in order in one implicit transaction: all of them or none. */
  batch<T = Record<string, unknown>>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

export interface KVNamespaceListKey<M> {
  readonly name: string;
  readonly metadata?: M;
}

export interface KVNamespace {
  getWithMetadata<M>(
    key: string,
    type: 'arrayBuffer',
  ): Promise<{ value: ArrayBuffer | null; metadata: M | null }>;
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: { expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list<M>(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: KVNamespaceListKey<M>[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

export interface DurableObjectId {
  toString(): string;
}

export interface DurableObjectNamespace<T> {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub<T>;
}

/** An RPC stub: every method of the object, called across the isolate boundary. */
export type DurableObjectStub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export interface DurableObjectState {
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}

export interface Fetcher {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}
