import { cursorPipeline } from './cursor.js';
import { defaultPipeline } from './default.js';
import type { Pipeline } from './pipeline.js';

/**
 * Every pipeline a key's `purpose` can name. Adding one: write `src/pipelines/<name>.ts`
 * exporting a Pipeline, and add one line here; key validation reads the names from this table.
 */
export const PIPELINES = {
  default: defaultPipeline,
  cursor: cursorPipeline,
} as const satisfies Record<string, Pipeline>;

/** The pipeline for a purpose; an unknown purpose (a key made by a newer version) gets `default`. */
export function pipelineFor(purpose: string): Pipeline {
  return Object.hasOwn(PIPELINES, purpose) ? PIPELINES[purpose as keyof typeof PIPELINES] : defaultPipeline;
}
