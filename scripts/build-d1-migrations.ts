/**
 * Writes migrations/d1/NNNN_name.sql from the SQLite migrations, for `wrangler d1 migrations
 * apply` (docs/workers.md). test/unit/d1-migrations.test.ts fails when the files are stale.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { d1MigrationFiles } from '../src/storage/sqlite/d1-migration-files.js';

const dir = new URL('../migrations/d1/', import.meta.url);
mkdirSync(dir, { recursive: true });
const files = await d1MigrationFiles();
const wanted = new Set(files.map((f) => f.name));
for (const old of readdirSync(dir)) if (old.endsWith('.sql') && !wanted.has(old)) rmSync(new URL(old, dir));
for (const file of files) writeFileSync(new URL(file.name, dir), file.sql);
console.log(`wrote ${files.length} D1 migrations to migrations/d1/`);
