import { createRequire } from 'node:module';

/** The package version; src/ and dist/ sit at the same depth below package.json. */
export const VERSION: string = (
  createRequire(import.meta.url)('../../../package.json') as { version: string }
).version;
