/**
 * The admin API's answers and bodies as the panel types them: all inferred from the schemas and
 * view functions the server answers with, so the panel (ui/src/api/types.ts imports these, type
 * only) cannot drift from the server. Type-only: nothing here reaches the panel's bundle.
 */
import type { z } from 'zod';
import type { CountSource } from '../spec/usage.js';
import type { auditView } from './audit/audit-routes.js';
import type { deleteChannel } from './channel-service.js';
import type { providerPresetSchema } from './provider-presets.js';
import type {
  channelCreateSchema,
  channelPatchSchema,
  channelTestRequestSchema,
  errorEnvelopeSchema,
  keyCreateSchema,
  keyPatchSchema,
  limitsSchema,
  userCreateSchema,
  userPatchSchema,
} from './schemas.js';
import type { routingStats } from './stats-views.js';
import type { LogEntry, UsageReport, usageQuery } from './usage-routes.js';
import type { usageGroupSchema } from './usage-summary.js';
import type { deleteUser } from './user-service.js';

export type {
  AdminStats,
  ChannelTestResult,
  ChannelView,
  CreatedKeyView as CreatedKey,
  InstanceList,
  InstanceView,
  KeyView,
  ListPage as ListOf,
  RotatedKeyView as RotatedKey,
  UserView,
} from './schemas.js';
export type { CountSource, LogEntry, UsageReport };

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

// Bodies are the schemas' inputs: what a client may send, defaults not yet applied.
export type CreateUserBody = z.input<typeof userCreateSchema>;
export type UpdateUserBody = z.input<typeof userPatchSchema>;
export type CreateKeyBody = z.input<typeof keyCreateSchema>;
export type UpdateKeyBody = z.input<typeof keyPatchSchema>;
export type KeyLimitsInput = z.input<typeof limitsSchema>;
export type CreateChannelBody = z.input<typeof channelCreateSchema>;
export type UpdateChannelBody = z.input<typeof channelPatchSchema>;
export type ChannelTestBody = z.input<typeof channelTestRequestSchema>;

export type ProviderPreset = z.infer<typeof providerPresetSchema>;

export type UsageGroupBy = z.infer<typeof usageQuery>['group_by'];
export type UsageInterval = z.infer<typeof usageQuery>['interval'];
export type UsageGroup = z.infer<typeof usageGroupSchema>;
export type UsageTotals = Omit<UsageGroup, 'value'>;
export type UsagePoint = UsageReport['series'][number];

export type RoutingStats = ReturnType<typeof routingStats>;
export type RoutingChannel = RoutingStats['channels'][number];
export type RoutingKey = RoutingChannel['keys'][number];
export type RoutingHealthEntry = RoutingKey['health'][number];
export type ChannelHealth = RoutingChannel['health'];

export type LogAttempt = LogEntry['attempts'][number];
/** GET /admin/api/logs */
export interface LogPage {
  object: 'list';
  data: LogEntry[];
  next_cursor: string | null;
}
/** GET /admin/api/logs/:requestId (a client may reuse its request id: every request under it). */
export interface LogDetail {
  request_id: string;
  data: LogEntry[];
}
/** One entry of GET /admin/api/audit */
export type AuditEntryView = ReturnType<typeof auditView>;
/** GET /admin/api/audit */
export interface AuditPage {
  object: 'list';
  data: AuditEntryView[];
  next_cursor: string | null;
}
/** DELETE /admin/api/users/:id (deletes the user's keys too). */
export type DeletedUser = Awaited<ReturnType<typeof deleteUser>>;
/** DELETE /admin/api/channels/:id */
export type DeletedChannel = Awaited<ReturnType<typeof deleteChannel>>;
/** POST and GET /admin/api/session */
export interface SessionInfo {
  csrf_token: string;
  expires_at: string;
  /** the deployment's currency (that of its prices; USD by default): key budgets are in it */
  currency: string;
}
