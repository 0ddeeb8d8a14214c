import type { JsonObject } from '../../spec/json.js';
import { someTool } from '../shared/hosted-tools.js';

/** Gemini's built-in tools, in its JSON (camelCase) and proto (snake_case) spellings. */
const BUILT_IN = [
  'googleSearch',
  'google_search',
  'googleSearchRetrieval',
  'google_search_retrieval',
  'codeExecution',
  'code_execution',
  'urlContext',
  'url_context',
  'googleMaps',
  'google_maps',
  'fileSearch',
  'file_search',
];

/** Whether a generateContent request has Gemini search, fetch URLs, run code or look up maps or files. */
export function geminiUsesLiveTools(json: JsonObject): boolean {
  return someTool(json, (tool) => BUILT_IN.some((name) => tool[name] !== undefined));
}
