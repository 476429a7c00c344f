/** The composer: slash commands complete from the bot's manifest, and Enter sends one as the user. */
import type { SlashCommandInfo } from '../protocol.js';
import { $, h } from './dom.js';
import { convId, note, post, reportReplyErrors, ui } from './store.js';

const composer = () => $<HTMLTextAreaElement>('composer');

function completions(): SlashCommandInfo[] {
  const v = composer().value;
  if (!/^\/\S*$/.test(v)) return [];
  return (ui.state?.commands ?? []).filter((c) => c.command.startsWith(v.toLowerCase()));
}

function renderHint(): void {
  const value = composer().value;
  const m = /^(\/\S+)\s/.exec(value);
  const cmd = m ? (ui.state?.commands ?? []).find((c) => c.command === m[1]) : undefined;
  $('composer-hint').replaceChildren(...(cmd
    ? [h('code', {}, cmd.command), ` ${cmd.usageHint}${cmd.description ? ` · ${cmd.description}` : ''}`]
    : value ? [h('strong', {}, 'Enter'), ' to send · ', h('strong', {}, 'Shift+Enter'), ' for a new line'] : []));
}

function renderCompletions(): void {
  const list = $('completions');
  const items = completions();
  if (items.length === 0) {
    list.hidden = true;
    renderHint();
    return;
  }
  ui.completionIndex = Math.min(ui.completionIndex, items.length - 1);
  list.replaceChildren(...items.map((c, i) => h('li', {
    role: 'option', class: i === ui.completionIndex ? 'selected' : '', dataset: { command: c.command },
    onmousedown: (ev) => {
      ev.preventDefault();
      complete(c);
    },
  },
  h('span', { class: 'cmd' }, c.command), h('span', { class: 'hint' }, c.usageHint),
  c.description ? h('span', { class: 'desc' }, c.description) : null,
  h('span', { class: 'from' }, 'analytics-bot'))));
  list.hidden = false;
  renderHint();
}

function complete(c: SlashCommandInfo): void {
  composer().value = `${c.command} `;
  ui.completionIndex = 0;
  renderCompletions();
  composer().focus();
}

async function send(): Promise<void> {
  const box = composer();
  const line = box.value.trim();
  if (!line) return;
  box.value = '';
  box.style.height = 'auto';
  renderCompletions();
  const m = /^(\/[^\s]+)\s*([\s\S]*)$/.exec(line);
  if (!m) return note('analytics-bot only listens to slash commands. Type `/` to see them, e.g. `/telemetry acme`.');
  const command = m[1] ?? '';
  const text = m[2] ?? '';
  if (!(ui.state?.commands ?? []).some((c) => c.command === command)) {
    return note(`\`${command}\` is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`);
  }
  $('composer-hint').textContent = `Sent ${command}${text ? ` ${text}` : ''}`;
  const { status, data } = await post('/local/command', { command, text, channelId: convId(), timeoutMs: 8000, settleMs: 300 });
  if (status !== 200) return note(`The stand-in could not send \`${command}\`: ${data.error ?? `HTTP ${status}`}`);
  if (data.ack && data.ack.status !== 200) return note(`\`${command}\` failed with the error "dispatch_failed"`);
  reportReplyErrors(data.replies);
}

/** The placeholder for the conversation on screen. */
export function setComposerPlaceholder(placeholder: string): void {
  composer().placeholder = placeholder;
}

export function focusComposer(): void {
  composer().focus();
}

export function installComposer(): void {
  const box = composer();
  box.addEventListener('input', () => {
    ui.completionIndex = 0;
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
    renderCompletions();
  });
  box.addEventListener('keydown', (ev) => {
    const items = completions();
    const open = !$('completions').hidden && items.length > 0;
    const selected = items[ui.completionIndex];
    if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
      ev.preventDefault();
      ui.completionIndex = (ui.completionIndex + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      renderCompletions();
    } else if (open && selected && (ev.key === 'Tab' || (ev.key === 'Enter' && !ev.shiftKey && box.value !== selected.command))) {
      ev.preventDefault();
      complete(selected);
    } else if (ev.key === 'Escape') {
      $('completions').hidden = true;
    } else if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      void send();
    }
  });
  $('composer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void send();
  });
}
