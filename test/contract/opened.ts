import { afterEach, beforeEach } from 'vitest';

/** A fresh store from a backend, and how to let it go. */
export interface Opened<T> {
  readonly store: T;
  close(): Promise<void>;
}

export type OpenStore<T> = () => Promise<Opened<T>>;

/**
 * Opens a fresh store before each case and closes it after; read `current()` inside a case.
 * Every contract suite starts this way, so no case sees another's data.
 */
export function eachFresh<T>(open: OpenStore<T>): () => T {
  let opened: Opened<T> | null = null;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened?.close();
    opened = null;
  });
  return () => {
    if (!opened) throw new Error('no store open outside a test case');
    return opened.store;
  };
}

/** Waits until `ready()` holds, for deliveries that a shared backend makes asynchronously. */
export async function eventually(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}
