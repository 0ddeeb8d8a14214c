import type { JsonObject } from '../../spec/json.js';
import { someTool, typeIsHosted } from '../shared/hosted-tools.js';

/** OpenAI's hosted tools (`web_search`, `web_search_preview`, `file_search`, `code_interpreter`, `mcp`). */
const HOSTED = /^(web_search|code_interpreter|file_search|mcp)(_|$)/;

/**
 * Whether an OpenAI-format request has the provider search the web, search files, run code or
 * call an MCP server (the response cache keeps no such answer unless asked). Chat's web search
 * is a request field, not a tool. Tools the client runs (`function`, `custom`) are not.
 */
export function openAiUsesLiveTools(json: JsonObject): boolean {
  if (json.web_search_options !== undefined && json.web_search_options !== null) return true;
  return someTool(json, (tool) => typeIsHosted(tool, HOSTED));
}
