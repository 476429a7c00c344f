/**
 * The Data Transfer adapter against answers the loopback fake can give that
 * the happy path never shows (facts: test/support/vendor-facts/datatransfer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTransferRuns } from '../src/adapters/pipeline-runs/datatransfer.js';
import { FakeDataTransfer } from './support/fake-datatransfer.js';

let fake: FakeDataTransfer;
let dts: DataTransferRuns;
let n = 0;
const freshConfig = () => {
  const name = `projects/analytics-demo/locations/us/transferConfigs/answers-${++n}`;
  fake.addConfig(name);
  return name;
};

beforeAll(async () => {
  fake = await FakeDataTransfer.start();
  dts = new DataTransferRuns({ authHeaders: async () => ({ authorization: `Bearer ${fake.token}` }), apiUrl: fake.url, maxRetryWaitMs: 2000 });
});
afterAll(() => fake.close());

describe('Data Transfer adapter: answers lost on the way', () => {
  it('finds the run when startManualRuns answered 200 but its body was cut off, rather than report that none started', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 'truncate', { afterEffect: true });
    const started = await dts.start({ kind: 'data_transfer', transferConfig: name }, { force: false });
    expect(fake.manualRuns().filter((r) => name.endsWith(`/${r.config.configId}`))).toHaveLength(1);
    expect(started).toMatchObject({ ok: true, run: { runId: expect.stringContaining(`/transferConfigs/${name.split('/').at(-1)}/runs/`) } });
    expect(fake.startRequests().filter((r) => r.path.includes(name))).toHaveLength(1);
  });
});
