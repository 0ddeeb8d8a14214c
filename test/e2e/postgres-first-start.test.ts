import { afterAll, describe, expect, it } from 'vitest';
import { adminCall } from '../support/http.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const server = await postgresUrl('the first start of several instances on Postgres');

// Several instances started together on a new database, with no ADMIN_TOKEN set (the compose
// example's first `up`). Each generated and stored a token of its own, the last write won, and
// each instance kept the one it printed: every printed token worked on one instance only, and
// after a restart on none but the last stored.
describe.skipIf(!server)(
  'instances starting together on a new Postgres database',
  { timeout: 60_000 },
  () => {
    let schema: PostgresSchema | undefined;
    const gateways: TestGateway[] = [];
    afterAll(async () => {
      for (const gateway of gateways) await gateway.close();
      await schema?.drop();
    });

    it('print one admin token between them, which every instance takes', async () => {
      schema = await freshSchema(server ?? '');
      const env = { DATABASE_URL: schema.url, SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-first-start-e2e' };
      gateways.push(...(await Promise.all([0, 1, 2].map(() => startTestGateway({}, env)))));
      const printed = gateways.map((g) => g.node.generatedAdminToken).filter((t) => t !== null);
      expect(printed).toHaveLength(1);
      for (const gateway of gateways)
        expect((await adminCall(gateway.url, printed[0] ?? '', 'GET', '/keys')).status).toBe(200);
    });
  },
);
