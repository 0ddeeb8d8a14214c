import { z } from 'zod';
import type { AdminRoute } from './admin-api.js';
import { EXTRA_ROUTES } from './openapi-extra.js';
import { errorEnvelopeSchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ERRORS: Record<string, string> = {
  '400': 'invalid request (the body or a field is wrong)',
  '401': 'missing or wrong admin token',
  '404': 'no such user, key or channel',
  '409': 'conflict (duplicate name, file-managed channel, revoked key)',
};

/** The OpenAPI 3.1 document for the admin API, generated from the same zod schemas the routes use. */
export function buildOpenApi(routes: readonly AdminRoute[], version: string): JsonSchema {
  const error = { content: { 'application/json': { schema: schemaOf(errorEnvelopeSchema, 'output') } } };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/admin/api${route.path.replace(/:id/g, '{id}')}`;
    const parameters: unknown[] = [];
    if (route.path.includes(':id')) {
      parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'string' } });
    }
    if (route.list) {
      parameters.push(
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
      );
      if (route.path === '/keys')
        parameters.push({ name: 'user_id', in: 'query', schema: { type: 'string' } });
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = {
      tags: [route.tag],
      summary: route.summary,
      parameters,
      ...(route.body
        ? {
            requestBody: {
              required: route.method !== 'post' || !route.path.endsWith('/test'),
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [route.status]: {
          description: 'success',
          content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
        },
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([status, description]) => [status, { description, ...error }]),
        ),
      },
    };
  }
  for (const route of EXTRA_ROUTES) {
    const path = `/admin/api${route.path}`;
    const query = route.query
      ? (schemaOf(route.query, 'input') as { properties?: Record<string, unknown> })
      : {};
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = {
      tags: [route.tag],
      summary: route.summary,
      parameters: [
        ...(route.pathParams ?? []).map((name) => ({
          name,
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })),
        ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', schema })),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [route.status]: { description: 'success' },
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([status, description]) => [status, { description, ...error }]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard admin API',
      version,
      description:
        'Users, client keys and channels, managed live: every change applies to the next request. ' +
        'Send the admin token as "Authorization: Bearer <token>" (or sign in to the panel: session routes).',
    },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    security: [{ adminToken: [] }],
    paths,
  };
}
