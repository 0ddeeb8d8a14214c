import type { ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import { encodeSse } from '../../streaming/sse.js';
import {
  encodeResponsesUsage,
  functionCallItem,
  messageItem,
  outputText,
  type ResponseFrame,
  reasoningItem,
  responseObject,
  responsesId,
  type ToolNaming,
  terminalStatus,
} from './responses-response.js';

type Open =
  | { kind: 'message'; index: number; id: string; text: string }
  | { kind: 'reasoning'; index: number; id: string; text: string; summaryOpen: boolean; encrypted?: string };

interface OpenTool {
  readonly index: number;
  readonly id: string;
  readonly callId: string;
  readonly name: string;
  args: string;
  done: boolean;
}

/**
 * Canonical stream parts → Responses API events: `response.created` and `.in_progress`, each
 * output item added, its deltas, its done events, then one of `response.completed`,
 * `.incomplete` (max tokens) or `.failed`. Every event carries `sequence_number`, from 0.
 */
export function encodeResponsesStream(
  frame: ResponseFrame,
  model: string,
  naming: ToolNaming,
): TransformStream<StreamPart, Uint8Array> {
  let sequence = 0;
  let started = false;
  let failed = false;
  let modelName = model;
  let current: Open | null = null;
  const output: (JsonObject | null)[] = [];
  const tools = new Map<number, OpenTool>();
  let finish: FinishReason = 'stop';
  let usage: ChatUsage | null = null;
  const snapshot = (status: 'in_progress') =>
    responseObject(frame, { model: modelName, status, output: [], usage: null });

  return new TransformStream<StreamPart, Uint8Array>({
    transform(part, controller) {
      if (failed) return;
      const emit = (type: string, fields: JsonObject) =>
        controller.enqueue(encodeSse(JSON.stringify({ type, sequence_number: sequence++, ...fields }), type));
      const start = () => {
        if (started) return;
        started = true;
        emit('response.created', { response: snapshot('in_progress') });
        emit('response.in_progress', { response: snapshot('in_progress') });
      };
      const closeCurrent = () => {
        const open = current;
        current = null;
        if (open) closeItem(emit, output, open);
      };
      const openItem = (kind: 'message' | 'reasoning'): Open => {
        if (current?.kind === kind) return current;
        closeCurrent();
        const index = output.push(null) - 1;
        const id = responsesId(kind === 'message' ? 'msg' : 'rs');
        if (kind === 'message') {
          emit('response.output_item.added', {
            output_index: index,
            item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
          });
          emit('response.content_part.added', {
            item_id: id,
            output_index: index,
            content_index: 0,
            part: outputText(''),
          });
          current = { kind, index, id, text: '' };
        } else {
          emit('response.output_item.added', {
            output_index: index,
            item: { id, type: 'reasoning', summary: [] },
          });
          current = { kind, index, id, text: '', summaryOpen: false };
        }
        return current;
      };

      if (part.type === 'start') {
        if (part.model) modelName = part.model;
        return start();
      }
      start();
      switch (part.type) {
        case 'text-delta': {
          const open = openItem('message');
          open.text += part.text;
          return emit('response.output_text.delta', {
            item_id: open.id,
            output_index: open.index,
            content_index: 0,
            delta: part.text,
            logprobs: [],
          });
        }
        case 'reasoning-delta': {
          const open = openItem('reasoning');
          if (open.kind !== 'reasoning') return;
          if (!open.summaryOpen) {
            open.summaryOpen = true;
            emit('response.reasoning_summary_part.added', {
              item_id: open.id,
              output_index: open.index,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            });
          }
          open.text += part.text;
          return emit('response.reasoning_summary_text.delta', {
            item_id: open.id,
            output_index: open.index,
            summary_index: 0,
            delta: part.text,
          });
        }
        case 'reasoning-signature':
        case 'reasoning-redacted': {
          if (part.type === 'reasoning-redacted') closeCurrent();
          const open = openItem('reasoning');
          if (open.kind === 'reasoning')
            open.encrypted =
              part.type === 'reasoning-signature' ? `sig:${part.signature}` : `red:${part.data}`;
          // A signature ends its thinking block.
          return closeCurrent();
        }
        case 'tool-call-start': {
          closeCurrent();
          const tool: OpenTool = {
            index: output.push(null) - 1,
            id: responsesId('fc'),
            callId: part.id,
            name: part.name,
            args: '',
            done: false,
          };
          tools.set(part.index, tool);
          return emit('response.output_item.added', {
            output_index: tool.index,
            item: functionCallItem(
              tool.id,
              { id: tool.callId, name: tool.name, arguments: '' },
              'in_progress',
              naming,
            ),
          });
        }
        case 'tool-call-delta': {
          const tool = tools.get(part.index);
          if (!tool || tool.done) return;
          tool.args += part.argumentsDelta;
          return emit('response.function_call_arguments.delta', {
            item_id: tool.id,
            output_index: tool.index,
            delta: part.argumentsDelta,
          });
        }
        case 'tool-call-end': {
          const tool = tools.get(part.index);
          if (tool) closeTool(emit, output, tool, naming);
          return;
        }
        case 'finish':
          finish = part.reason;
          return;
        case 'usage':
          usage = part.usage;
          return;
        case 'error':
          failed = true;
          emit('response.failed', {
            response: responseObject(frame, {
              model: modelName,
              status: 'failed',
              output: output.filter((item) => item !== null),
              usage: usage ? encodeResponsesUsage(usage) : null,
              error: { code: 'server_error', message: `upstream stream failed: ${part.message}` },
            }),
          });
          return;
      }
    },
    flush(controller) {
      if (failed) return;
      const emit = (type: string, fields: JsonObject) =>
        controller.enqueue(encodeSse(JSON.stringify({ type, sequence_number: sequence++, ...fields }), type));
      if (!started) {
        emit('response.created', { response: snapshot('in_progress') });
        emit('response.in_progress', { response: snapshot('in_progress') });
      }
      if (current) closeItem(emit, output, current);
      for (const tool of tools.values()) closeTool(emit, output, tool, naming);
      const end = terminalStatus(finish);
      emit(end.status === 'completed' ? 'response.completed' : 'response.incomplete', {
        response: responseObject(frame, {
          model: modelName,
          status: end.status,
          output: output.filter((item) => item !== null),
          usage: encodeResponsesUsage(usage),
          ...(end.incomplete ? { incomplete: end.incomplete } : {}),
        }),
      });
    },
  });
}

type Emit = (type: string, fields: JsonObject) => void;

function closeItem(emit: Emit, output: (JsonObject | null)[], open: Open): void {
  const at = { item_id: open.id, output_index: open.index };
  if (open.kind === 'message') {
    emit('response.output_text.done', { ...at, content_index: 0, text: open.text, logprobs: [] });
    emit('response.content_part.done', { ...at, content_index: 0, part: outputText(open.text) });
    output[open.index] = messageItem(open.id, open.text, 'completed');
  } else {
    if (open.summaryOpen) {
      emit('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: open.text });
      emit('response.reasoning_summary_part.done', {
        ...at,
        summary_index: 0,
        part: { type: 'summary_text', text: open.text },
      });
    }
    output[open.index] = reasoningItem(open.id, open.text, open.encrypted);
  }
  emit('response.output_item.done', { output_index: open.index, item: output[open.index] ?? null });
}

function closeTool(emit: Emit, output: (JsonObject | null)[], tool: OpenTool, naming: ToolNaming): void {
  if (tool.done) return;
  tool.done = true;
  const item = functionCallItem(
    tool.id,
    { id: tool.callId, name: tool.name, arguments: tool.args },
    'completed',
    naming,
  );
  output[tool.index] = item;
  emit('response.function_call_arguments.done', {
    item_id: tool.id,
    output_index: tool.index,
    name: naming(tool.name).name,
    arguments: tool.args,
  });
  emit('response.output_item.done', { output_index: tool.index, item });
}
