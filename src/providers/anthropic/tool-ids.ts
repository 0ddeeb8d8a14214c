/**
 * Tool call ids as Anthropic accepts them. Anthropic requires a tool_use id (and so a
 * tool_result's tool_use_id) to match `^[a-zA-Z0-9_-]+$`, and refuses the whole request
 * otherwise. Other providers' ids need not: Kimi names its calls `functions.get_weather:0`. Such
 * an id reached Claude Code as it was, and the conversation failed as soon as it went to Claude
 * (a failover, or `/model`), and so did an OpenAI client's history with such ids.
 *
 * An id Anthropic would refuse is written in its alphabet, reversibly and marked, so that the
 * provider that made it gets it back as it was: `functions.get_weather:0` becomes
 * `sbid_functions_x2eget__weather_x3a0`. `_` is written `__`, any other character outside the
 * alphabet `_x` and two hex digits (`_u` and four for a UTF-16 unit above 0xff). An id that
 * already fits is left alone, unless it begins with the mark, so that reading one back is exact
 * (an empty id is left alone: Anthropic refuses it either way).
 */
const MARK = 'sbid_';
const ANTHROPIC_ID = /^[A-Za-z0-9_-]+$/;
const PLAIN = /[A-Za-z0-9-]/;

/** The id as an Anthropic tool_use id (unchanged when Anthropic accepts it as it is). */
export function toAnthropicToolId(id: string): string {
  if (id === '' || (ANTHROPIC_ID.test(id) && !id.startsWith(MARK))) return id;
  let out = MARK;
  for (let i = 0; i < id.length; i++) {
    const ch = id.charAt(i);
    if (PLAIN.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else {
      const unit = id.charCodeAt(i);
      out += unit <= 0xff ? `_x${hex(unit, 2)}` : `_u${hex(unit, 4)}`;
    }
  }
  return out;
}

/** The id a tool_use id stands for: the provider's own when the gateway wrote it; else as given. */
export function fromAnthropicToolId(id: string): string {
  if (!id.startsWith(MARK)) return id;
  let out = '';
  // Whatever the gateway writes holds an escape: it writes only ids with a character outside the
  // alphabet, or beginning with the mark (whose `_` is escaped).
  let escaped = false;
  for (let i = MARK.length; i < id.length; i++) {
    const ch = id.charAt(i);
    if (ch !== '_') {
      out += ch;
      continue;
    }
    const kind = id.charAt(i + 1);
    const width = kind === 'x' ? 2 : kind === 'u' ? 4 : 0;
    const code = width > 0 ? id.slice(i + 2, i + 2 + width) : '';
    escaped = true;
    if (kind === '_') {
      out += '_';
      i += 1;
    } else if (code.length === width && width > 0 && /^[0-9a-f]+$/.test(code)) {
      out += String.fromCharCode(Number.parseInt(code, 16));
      i += 1 + width;
    } else return id; // not written by toAnthropicToolId: the client's own id, kept as it is
  }
  return escaped ? out : id;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}
