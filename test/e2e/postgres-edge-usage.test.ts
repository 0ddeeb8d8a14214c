import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_USAGE_PATH } from '../../src/edge/edge-protocol.js';
import { edgeRecord, signedPost } from '../support/edge-requests.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const server = await postgresUrl('the edge usage ingest on a Postgres origin');
const EDGE_SECRET = 'edge-secret-for-the-postgres-origin-0123';

/**
 * A batch of usage an edge sends its origin lands whole on Postgres, even when one of its records
 * holds what Postgres refuses: the edge offers the same backlog again until it is taken, so one
 * such record answered 500 for good and held back every record after it.
 */
describe.skipIf(!server)('edge usage on a Postgres origin', { timeout: 60_000 }, () => {
  let schema: PostgresSchema;
  let origin: TestGateway;
  beforeAll(async () => {
    schema = await freshSchema(server ?? '');
    origin = await startTestGateway(
      {},
      { DATABASE_URL: schema.url, EDGE_SECRET, SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-edge-usage-e2e' },
    );
  });
  afterAll(async () => {
    await origin?.close();
    await schema?.drop();
  });

  it('stores every record of a batch, the one Postgres refuses in its storable form', async () => {
    const records = [
      edgeRecord({ requestId: 'edge-plain-1' }),
      edgeRecord({
        requestId: 'edge-nul',
        modelAsked: 'gpt\u0000x',
        usage: { promptTokens: 1.5, completionTokens: 1, totalTokens: 2.5 },
      }),
      edgeRecord({ requestId: 'edge-plain-2' }),
    ];
    const res = await signedPost(
      origin.url,
      EDGE_USAGE_PATH,
      { batchId: 'batch-with-a-nul-0001', records },
      EDGE_SECRET,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 3, duplicate: false });
    for (const id of ['edge-plain-1', 'edge-plain-2'])
      expect(await origin.node.storage.usage.get(id)).toHaveLength(1);
    const [odd] = await origin.node.storage.usage.get('edge-nul');
    expect(odd).toMatchObject({ modelAsked: 'gpt\ufffdx', usage: null, status: 200 });
  });
});
