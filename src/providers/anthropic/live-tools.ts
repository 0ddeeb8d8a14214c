import type { JsonObject } from '../../spec/json.js';
import { someTool, typeIsHosted } from '../shared/hosted-tools.js';

/** Anthropic's server tools (`web_search_20250305`, `web_fetch_…`, `code_execution_…`). */
const SERVER_TOOLS = /^(web_search|web_fetch|code_execution)(_|$)/;

/**
 * Whether a Messages request has the provider search the web, fetch a page, run code or call MCP
 * servers (its MCP connector is a request field). Tools the client runs (custom ones, `bash_…`,
 * `text_editor_…`) are not.
 */
export function anthropicUsesLiveTools(json: JsonObject): boolean {
  if (Array.isArray(json.mcp_servers) && json.mcp_servers.length > 0) return true;
  return someTool(json, (tool) => typeIsHosted(tool, SERVER_TOOLS));
}
