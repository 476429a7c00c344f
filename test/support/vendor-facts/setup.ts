/**
 * vitest setup file: after every test, a request that a vendor fake's spec
 * refuses (or that matches no operation in the facts), an answer a vendor
 * fake gave with a status its vendor never sends there, or anything the bot
 * sent the Slack stand-in that Slack's documentation refuses or ignores,
 * fails that test. After the file's own teardown, once more: a request sent
 * while the bot was stopping fails the file.
 */
import { afterAll, afterEach } from 'vitest';
import { assertNoVendorViolations } from './spec.js';
import { assertNoSlackViolations } from './slack.js';

function assertNoViolations(): void {
  const messages: string[] = [];
  for (const check of [assertNoVendorViolations, assertNoSlackViolations]) {
    try {
      check();
    } catch (err) {
      messages.push((err as Error).message);
    }
  }
  if (messages.length) throw new Error(messages.join('\n'));
}

afterEach(() => {
  assertNoViolations();
});

afterAll(() => {
  assertNoViolations();
});
