import { isJsonObject, type JsonObject } from '../../spec/json.js';

/** Whether some entry of the request's `tools` matches `test`. */
export function someTool(json: JsonObject, test: (tool: JsonObject) => boolean): boolean {
  const tools = json.tools;
  return Array.isArray(tools) && tools.some((tool) => isJsonObject(tool) && test(tool));
}

/** Whether a tool's `type` is one of these hosted kinds, bare or versioned (`web_search_20250305`). */
export function typeIsHosted(tool: JsonObject, kinds: RegExp): boolean {
  return typeof tool.type === 'string' && kinds.test(tool.type);
}
