/**
 * Google's side for the cold-start benchmark, in its own thread: the loopback
 * BigQuery fake (test/support/fake-bigquery.ts, answering from a copy of the
 * demo warehouse) and a token endpoint that exchanges any subject token for
 * the fake's access token. A spawned bot finds the endpoint through an
 * `external_account` credentials file (GOOGLE_APPLICATION_CREDENTIALS), so it
 * authenticates through google-auth-library's own Application Default
 * Credentials path, as on Cloud Run, with no network beyond loopback.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { FAKE_BIGQUERY_TOKEN, FakeBigQuery } from '../test/support/fake-bigquery.js';

const { dataDir } = workerData as { dataDir: string };
const warehouse = await openEmbeddedWarehouse({ dataDir, timeoutMs: 60_000 });
const connection = await warehouse.connection();
const bigquery = await FakeBigQuery.start({ connection });

const tokens = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      access_token: FAKE_BIGQUERY_TOKEN,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    }));
  });
});
await new Promise<void>((resolve) => tokens.listen(0, '127.0.0.1', resolve));

parentPort!.postMessage({
  bigqueryUrl: bigquery.url,
  project: bigquery.project,
  dataset: bigquery.dataset,
  tokenUrl: `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`,
});
parentPort!.on('message', (m) => {
  if (m !== 'stop') return;
  tokens.close();
  void bigquery.close().then(async () => {
    connection.closeSync();
    await warehouse.close();
    process.exit(0);
  });
});
