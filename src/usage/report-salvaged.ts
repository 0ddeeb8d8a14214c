import type { Logger } from '../spec/logger.js';
import type { UsageRecord } from '../spec/usage.js';
import type { Salvage } from '../storage/sql/salvage-refused.js';

/**
 * Logs a usage record the database refused for what it held (src/storage/sql/salvage-refused.ts):
 * a warning when it was stored in another form, an error when it had to be dropped.
 */
export function salvaged(logger: Logger, record: UsageRecord, outcome: Salvage, reason: string): void {
  const fields = { request_id: record.requestId, outcome, reason };
  if (outcome === 'dropped')
    logger.error(
      fields,
      'usage: the database refused a record in every form; it was dropped so the others ship',
    );
  else
    logger.warn(
      fields,
      `usage: the database refused a record for what it held; stored it in its ${outcome} form`,
    );
}
