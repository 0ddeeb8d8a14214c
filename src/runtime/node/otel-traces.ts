import {
  type Attributes,
  type Context,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { UsageRecord } from '../../spec/usage.js';
import type { AttemptStart, AttemptTrace, RequestStart, Telemetry } from '../../telemetry/telemetry.js';
import { attemptFate } from '../../usage/attempt-fate.js';

export interface TraceSettings {
  /** The OTLP/HTTP traces URL (`…/v1/traces`); spans are sent as OTLP JSON. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly version: string;
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/** The GenAI semantic conventions' operation names for the gateway's operations. */
const OPERATION_NAMES: Readonly<Record<string, string>> = {
  chat: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
};

/**
 * OpenTelemetry traces over OTLP/HTTP: a SERVER span per request, continuing the client's
 * `traceparent`, and a CLIENT span per upstream attempt whose `traceparent` goes upstream. The
 * context is passed explicitly, so no global context manager or patched module is needed.
 */
export function createOtelTraces(settings: TraceSettings): Telemetry {
  const exporter = new OTLPTraceExporter({ url: settings.url, headers: { ...settings.headers } });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.version': settings.version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('switchboard', settings.version);
  const propagator = new W3CTraceContextPropagator();

  return {
    request(start: RequestStart) {
      const parent = propagator.extract(ROOT_CONTEXT, start.headers, headerGetter);
      const operation = OPERATION_NAMES[start.operation] ?? start.operation;
      const span = tracer.startSpan(
        `${start.method} ${start.route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': start.method,
            'http.route': start.route,
            'gen_ai.operation.name': operation,
            'switchboard.request_id': start.requestId,
          },
        },
        parent,
      );
      const inRequest = trace.setSpan(parent, span);
      let committed: { span: Span; provider: string } | null = null;
      return {
        attempt(attempt: AttemptStart): AttemptTrace {
          const child = startAttempt(tracer, inRequest, operation, attempt);
          const headers: Record<string, string> = {};
          propagator.inject(trace.setSpan(ROOT_CONTEXT, child), headers, defaultTextMapSetter);
          return {
            headers,
            failed(status, reason) {
              if (status !== null) child.setAttribute('http.response.status_code', status);
              child.setAttribute('error.type', status === null ? 'network' : String(status));
              child.setStatus({ code: SpanStatusCode.ERROR, message: reason });
              child.end();
            },
            abandoned() {
              child.setAttribute('switchboard.client_closed', true);
              child.end();
            },
            committed(status) {
              child.setAttribute('http.response.status_code', status);
              committed = { span: child, provider: attempt.provider };
            },
          };
        },
        refused(kind) {
          span.setAttribute('switchboard.limit_refused', kind);
        },
        end(record, observed) {
          const outcome = usageAttributes(record);
          if (committed) {
            committed.span.setAttributes(outcome);
            // The stream broke after its first bytes: this attempt failed, as router health counts it.
            if (attemptFate(record, record.attempts.length - 1) === 'stream-broke' && record.errorCode) {
              committed.span.setAttribute('error.type', record.errorCode);
              committed.span.setStatus({ code: SpanStatusCode.ERROR });
            }
            committed.span.end();
            span.setAttribute('gen_ai.system', committed.provider);
            span.setAttribute('gen_ai.provider.name', committed.provider);
          }
          span.setAttributes({
            ...outcome,
            'http.response.status_code': record.status,
            'switchboard.cache': observed.cache,
            'switchboard.attempts': record.attempts.length,
            ...(record.modelAsked !== null ? { 'gen_ai.request.model': record.modelAsked } : {}),
            ...(record.channel !== null ? { 'switchboard.channel': record.channel } : {}),
            ...(record.errorCode !== null ? { 'error.type': record.errorCode } : {}),
          });
          if (record.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    exposition: null,
    watch() {},
    // Shutdown exports the spans still in the batch.
    close: () => provider.shutdown(),
  };
}

function startAttempt(
  tracer: ReturnType<BasicTracerProvider['getTracer']>,
  parent: Context,
  operation: string,
  attempt: AttemptStart,
): Span {
  return tracer.startSpan(
    `${operation} ${attempt.model}`.trim(),
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.system': attempt.provider,
        'gen_ai.provider.name': attempt.provider,
        'gen_ai.operation.name': operation,
        ...(attempt.model ? { 'gen_ai.request.model': attempt.model } : {}),
        'switchboard.channel': attempt.channel,
      },
    },
    parent,
  );
}

/** What is known once the answer ended: the model that answered and the tokens it used. */
function usageAttributes(record: UsageRecord): Attributes {
  return {
    ...(record.modelServed !== null ? { 'gen_ai.response.model': record.modelServed } : {}),
    ...(record.usage
      ? {
          'gen_ai.usage.input_tokens': record.usage.promptTokens,
          'gen_ai.usage.output_tokens': record.usage.completionTokens,
        }
      : {}),
  };
}
