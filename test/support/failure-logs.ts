/**
 * On a test's failure, prints what the bots logged above debug: enough to
 * tell a slow emulator from a lost job or a refused decision, in CI output.
 */
import { onTestFailed } from 'vitest';

/** Call at the start of a test; `bots` is read when the test fails. */
export function showBotLogsOnFailure(bots: () => ReadonlyArray<{ logs: readonly string[] } | undefined>): void {
  onTestFailed(() => {
    for (const [i, bot] of bots().entries()) {
      for (const line of bot?.logs ?? []) if (!line.includes('"severity":"DEBUG"')) console.error(`bot ${i}: ${line}`);
    }
  });
}
