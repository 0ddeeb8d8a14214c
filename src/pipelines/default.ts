import type { Pipeline } from './pipeline.js';

/** No change: requests and answers pass as they are (and same-format traffic stays byte for byte). */
export const defaultPipeline: Pipeline = { name: 'default' };
