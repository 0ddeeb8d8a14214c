import { isJsonObject, type JsonObject } from '../spec/json.js';

/**
 * Tools the provider runs itself, whose result depends on the moment or acts on the world:
 * OpenAI's hosted tools (`web_search`, `web_search_preview`, `file_search`, `code_interpreter`,
 * `mcp`) and Anthropic's server tools (`web_search_20250305`, `web_fetch_…`, `code_execution_…`).
 * Tools the client runs (`function`, `custom`, Anthropic's `bash_…`, `text_editor_…`) only
 * shape the answer, like the rest of the request.
 */
const HOSTED_TYPE = /^(web_search|web_fetch|code_execution|code_interpreter|file_search|mcp)(_|$)/;

/** Gemini's built-in tools, in its JSON (camelCase) and proto (snake_case) spellings. */
const GEMINI_LIVE_TOOLS = [
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

/**
 * Whether a request asks the provider to search the web, fetch a page, run code or call an MCP
 * server: its answer is of the moment (yesterday's search is not today's) or has side effects,
 * so a copy kept at temperature 0 is not the answer a repeat would get.
 */
export function usesLiveTools(json: JsonObject): boolean {
  // OpenAI chat's web search is a request field, not a tool; Anthropic's MCP connector too.
  if (json.web_search_options !== undefined && json.web_search_options !== null) return true;
  if (Array.isArray(json.mcp_servers) && json.mcp_servers.length > 0) return true;
  const tools = json.tools;
  if (!Array.isArray(tools)) return false;
  return tools.some(
    (tool) =>
      isJsonObject(tool) &&
      ((typeof tool.type === 'string' && HOSTED_TYPE.test(tool.type)) ||
        GEMINI_LIVE_TOOLS.some((name) => tool[name] !== undefined)),
  );
}
