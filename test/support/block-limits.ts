/**
 * Checks a message or modal against Slack's documented Block Kit limits, and
 * returns the violations (empty when fine): the same check the Slack stand-in
 * answers `invalid_blocks` with (src/blockkit/limits.ts).
 */
import type { KnownBlock } from '@slack/types';
import { blockKitProblems, type Surface } from '../../src/blockkit/limits.js';

export function blockKitViolations(blocks: readonly KnownBlock[], surface: Surface = 'message'): string[] {
  return blockKitProblems(blocks, surface).map((p) => `${p.pointer}: ${p.message}`);
}
