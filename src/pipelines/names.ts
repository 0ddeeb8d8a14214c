import { PIPELINES } from './registry.js';

/**
 * The pipeline names a client key's `purpose` may take, read from the pipeline registry (the one
 * source of truth). Key validation (admin API, CLI) reads them from here.
 */
export type PipelineName = keyof typeof PIPELINES;

export const PIPELINE_NAMES = Object.keys(PIPELINES) as [PipelineName, ...PipelineName[]];

export function isPipelineName(name: string): name is PipelineName {
  return Object.hasOwn(PIPELINES, name);
}
