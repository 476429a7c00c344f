/**
 * Checks a message or modal against Slack's documented Block Kit limits, and
 * returns the violations (empty when fine).
 */
import type { KnownBlock } from '@slack/types';
import { SLACK_LIMITS } from '../../views/common.js';

export function blockKitViolations(blocks: KnownBlock[], surface: 'message' | 'modal' = 'message'): string[] {
  const out: string[] = [];
  const maxBlocks = surface === 'message' ? SLACK_LIMITS.messageBlocks : SLACK_LIMITS.modalBlocks;
  if (blocks.length > maxBlocks) out.push(`${blocks.length} blocks > ${maxBlocks}`);
  const actionIds = new Set<string>();
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.action_id === 'string') {
      if (o.action_id.length > SLACK_LIMITS.actionId) out.push(`${path}.action_id too long`);
    }
    if (o.type === 'section') {
      const text = (o.text as { text?: string } | undefined)?.text ?? '';
      if (text.length > SLACK_LIMITS.sectionText) out.push(`${path} section text ${text.length} > ${SLACK_LIMITS.sectionText}`);
      const fields = (o.fields as Array<{ text: string }> | undefined) ?? [];
      if (fields.length > SLACK_LIMITS.fields) out.push(`${path} ${fields.length} fields`);
      for (const f of fields) if (f.text.length > SLACK_LIMITS.fieldText) out.push(`${path} field too long`);
    }
    if (o.type === 'button') {
      const t = (o.text as { text: string }).text;
      if (t.length > SLACK_LIMITS.buttonText) out.push(`${path} button text too long`);
    }
    if (o.type === 'context' && Array.isArray(o.elements) && o.elements.length > SLACK_LIMITS.contextElements) out.push(`${path} context elements`);
    if (Array.isArray(o.options) && o.options.length > SLACK_LIMITS.selectOptions) out.push(`${path} ${o.options.length} options`);
    if (o.type === 'actions' && Array.isArray(o.elements)) {
      actionIds.clear();
      for (const e of o.elements as Array<{ action_id?: string }>) {
        if (e.action_id && actionIds.has(e.action_id)) out.push(`${path} duplicate action_id ${e.action_id}`);
        if (e.action_id) actionIds.add(e.action_id);
      }
    }
    for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
  };
  walk(blocks, 'blocks');
  return out;
}
