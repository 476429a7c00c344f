// The local Slack page: renders the stand-in's state (messages, modals, App
// Home) from Block Kit, and acts as the chosen user through the stand-in's
// local routes, which send the bot the signed requests Slack would.
// Plain browser JavaScript, no framework and no build step.

const $ = (id) => document.getElementById(id);

/** Builds an element: h('div', { class: 'x', onclick }, child, 'text', …). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'html') el.innerHTML = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const arr = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (typeof v === 'string' ? v : '');

// ---------------------------------------------------------------- state

const params = new URLSearchParams(location.search);
const ui = {
  me: params.get('as') || localStorage.getItem('standin.as') || 'U0REGULAR',
  /** 'channel:<id>' | 'dm' | 'home' */
  view: 'channel:C0ANALYTIC',
  state: null,
  threadTs: null,
  /** Page-only notes (what Slack itself says: unknown command, failed command), per conversation. */
  notes: {},
  /** Messages seen per conversation, for the unread badges. */
  seen: {},
  /** Errors returned by the last submission, per view ID: block_id → text. */
  viewErrors: {},
  /** Rendered message elements, reused while a message is unchanged. */
  rendered: new Map(),
  modalKey: null,
  /** Inputs typed in each open view, by view ID. */
  typed: {},
  completionIndex: 0,
};

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: ui.me, ...body }) });
  const data = await res.json().catch(() => ({}));
  return { status: res.status, data };
}

let refreshSeq = 0;
let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 25);
}
async function refresh() {
  const seq = ++refreshSeq;
  const res = await fetch(`/local/state?user=${encodeURIComponent(ui.me)}`).catch(() => null);
  if (!res || !res.ok || seq !== refreshSeq) return;
  const state = await res.json();
  if (seq !== refreshSeq) return;
  ui.state = state;
  render();
}

function connect() {
  const source = new EventSource('/local/events');
  source.addEventListener('ready', () => { $('conn').classList.add('live'); scheduleRefresh(); });
  source.addEventListener('change', scheduleRefresh);
  source.onerror = () => $('conn').classList.remove('live');
}

// ---------------------------------------------------------------- mrkdwn

const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', rotating_light: '🚨', mag: '🔍', mag_right: '🔎',
  bar_chart: '📊', chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', hourglass: '⌛', hourglass_flowing_sand: '⏳',
  arrows_counterclockwise: '🔄', repeat: '🔁', clock1: '🕐', clock3: '🕒', alarm_clock: '⏰', stopwatch: '⏱️', calendar: '📅',
  lock: '🔒', unlock: '🔓', key: '🔑', eyes: '👀', wave: '👋', tada: '🎉', thinking_face: '🤔', scissors: '✂️', no_entry: '⛔',
  no_entry_sign: '🚫', red_circle: '🔴', large_green_circle: '🟢', green_circle: '🟢', yellow_circle: '🟡', orange_circle: '🟠',
  large_blue_circle: '🔵', blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫', large_yellow_circle: '🟡', red_square: '🟥',
  green_square: '🟩', yellow_square: '🟨', satellite: '📡', satellite_antenna: '📡', signal_strength: '📶', electric_plug: '🔌',
  zzz: '💤', ghost: '👻', bust_in_silhouette: '👤', busts_in_silhouette: '👥', male_detective: '🕵️', detective: '🕵️',
  information_source: 'ℹ️', question: '❓', grey_question: '❔', exclamation: '❗', heavy_exclamation_mark: '❗', bulb: '💡',
  gear: '⚙️', wrench: '🔧', hammer_and_wrench: '🛠️', package: '📦', inbox_tray: '📥', outbox_tray: '📤', memo: '📝',
  pencil: '📝', pencil2: '✏️', page_facing_up: '📄', clipboard: '📋', card_index: '📇', file_folder: '📁', open_file_folder: '📂',
  link: '🔗', pushpin: '📌', round_pushpin: '📍', bell: '🔔', no_bell: '🔕', loudspeaker: '📢', mega: '📣', email: '📧',
  envelope: '✉️', incoming_envelope: '📨', speech_balloon: '💬', thought_balloon: '💭', raising_hand: '🙋', raised_hand: '✋',
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', ok_hand: '👌', clap: '👏', pray: '🙏', muscle: '💪',
  rocket: '🚀', fire: '🔥', sparkles: '✨', star: '⭐', boom: '💥', zap: '⚡', snail: '🐌', turtle: '🐢', racing_car: '🏎️',
  construction: '🚧', traffic_light: '🚥', vertical_traffic_light: '🚦', stop_sign: '🛑', checkered_flag: '🏁', triangular_flag_on_post: '🚩',
  cloud: '☁️', sun_with_face: '🌞', sunny: '☀️', globe_with_meridians: '🌐', earth_americas: '🌎', house: '🏠', office: '🏢',
  building_construction: '🏗️', factory: '🏭', money_with_wings: '💸', moneybag: '💰', dollar: '💵', heavy_dollar_sign: '💲',
  chart: '💹', abacus: '🧮', 1234: '🔢', hash: '#️⃣', books: '📚', book: '📖', ledger: '📒', notebook: '📓', scroll: '📜',
  shield: '🛡️', guardsman: '💂', police_car: '🚓', closed_lock_with_key: '🔐', see_no_evil: '🙈', new: '🆕', up: '🆙', cool: '🆒',
  heavy_plus_sign: '➕', heavy_minus_sign: '➖', arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️',
  arrow_forward: '▶️', arrow_backward: '◀️', leftwards_arrow_with_hook: '↩️', arrow_heading_up: '⤴️', small_blue_diamond: '🔹',
  small_orange_diamond: '🔸', large_blue_diamond: '🔷', black_small_square: '▪️', white_small_square: '▫️', radio_button: '🔘',
  hourglass_done: '⌛', skull: '💀', robot_face: '🤖', robot: '🤖', slightly_smiling_face: '🙂', smile: '😄', sweat_smile: '😅',
  confused: '😕', disappointed: '😞', cry: '😢', sob: '😭', partying_face: '🥳', face_with_monocle: '🧐', shrug: '🤷',
  person_shrugging: '🤷', handshake: '🤝', mailbox: '📫', mailbox_with_mail: '📬', telescope: '🔭', microscope: '🔬',
  test_tube: '🧪', dna: '🧬', date: '📅', spiral_calendar_pad: '🗓️', timer_clock: '⏲️', watch: '⌚', recycle: '♻️',
  broken_heart: '💔', heart: '❤️', green_heart: '💚', blue_heart: '💙', large_orange_diamond: '🔶', black_large_square: '⬛',
  white_large_square: '⬜', heavy_multiplication_x: '✖️', negative_squared_cross_mark: '❎', ballot_box_with_check: '☑️',
  double_vertical_bar: '⏸️', pause_button: '⏸️', black_right_pointing_triangle_with_double_vertical_bar: '⏯️', fast_forward: '⏩',
  rewind: '⏪', arrows_clockwise: '🔃', twisted_rightwards_arrows: '🔀', running: '🏃', walking: '🚶', sleeping: '😴',
  crystal_ball: '🔮', magic_wand: '🪄', jigsaw: '🧩', toolbox: '🧰', link_chain: '🔗', paperclip: '📎', floppy_disk: '💾',
  cd: '💿', computer: '💻', desktop_computer: '🖥️', keyboard: '⌨️', iphone: '📱', pager: '📟', card_file_box: '🗃️',
  file_cabinet: '🗄️', wastebasket: '🗑️', dart: '🎯', trophy: '🏆', medal: '🏅', gift: '🎁', balloon: '🎈', confetti_ball: '🎊',
  thermometer: '🌡️', droplet: '💧', ocean: '🌊', snowflake: '❄️', ice_cube: '🧊', seedling: '🌱', herb: '🌿', mushroom: '🍄',
  spider_web: '🕸️', bug: '🐛', ant: '🐜', bee: '🐝', owl: '🦉', turkey: '🦃', penguin: '🐧', duck: '🦆', unicorn_face: '🦄',
};

function emojify(escaped) {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

function userName(id) {
  if (id === ui.state?.bot?.userId) return ui.state.bot.name;
  return ui.state?.users.find((u) => u.id === id)?.realName ?? id;
}
function channelName(id) {
  return ui.state?.channels.find((c) => c.id === id)?.name ?? id;
}

const ORD = (n) => n + (['th', 'st', 'nd', 'rd'][((n % 100) - 20) % 10] || ['th', 'st', 'nd', 'rd'][n % 100] || 'th');
function formatSlackDate(sec, format) {
  const d = new Date(sec * 1000);
  if (Number.isNaN(d.getTime())) return null;
  const today = new Date();
  const dayDiff = Math.round((new Date(today.toDateString()) - new Date(d.toDateString())) / 86_400_000);
  const pretty = (fallback) => (dayDiff === 0 ? 'Today' : dayDiff === 1 ? 'Yesterday' : dayDiff === -1 ? 'Tomorrow' : fallback);
  const month = d.toLocaleString('en-US', { month: 'long' });
  const monthShort = d.toLocaleString('en-US', { month: 'short' });
  const date = `${month} ${ORD(d.getDate())}, ${d.getFullYear()}`;
  const dateShort = `${monthShort} ${d.getDate()}, ${d.getFullYear()}`;
  const dateLong = `${d.toLocaleString('en-US', { weekday: 'long' })}, ${date}`;
  const agoSec = Math.round((Date.now() - d.getTime()) / 1000);
  const ago = agoSec < 60 ? 'just now' : agoSec < 3600 ? `${Math.round(agoSec / 60)} minutes ago` : agoSec < 86_400 ? `${Math.round(agoSec / 3600)} hours ago` : `${Math.round(agoSec / 86_400)} days ago`;
  const tokens = {
    date_num: d.toLocaleDateString('sv-SE'),
    date, date_short: dateShort, date_long: dateLong,
    date_pretty: pretty(date), date_short_pretty: pretty(dateShort), date_long_pretty: pretty(dateLong),
    time: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' }),
    time_secs: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago,
  };
  return format.replace(/\{(\w+)\}/g, (m, k) => tokens[k] ?? m);
}

const SAFE_URL = /^(https?:|mailto:)/i;

/** A `<…>` control sequence of Slack text as HTML. */
function controlToHtml(inner) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  const text = (s) => esc(decodeEntities(s));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="mention${id === ui.me ? ' me' : ''}" data-user="${esc(id)}">@${text(label ?? userName(id))}</span>`;
  }
  if (target.startsWith('#')) return `<span class="mention">#${text(label ?? channelName(target.slice(1)))}</span>`;
  if (target.startsWith('!subteam^')) {
    const id = target.slice(9);
    const handle = ui.state?.usergroups?.[id]?.handle;
    return `<span class="mention">${text(label ?? `@${handle ?? id}`)}</span>`;
  }
  if (target.startsWith('!date^')) {
    const [, sec, format, link] = target.split('^');
    const shown = formatSlackDate(Number(sec), format ?? '{date}') ?? label ?? '';
    return link && SAFE_URL.test(link) ? `<a href="${esc(link)}" target="_blank" rel="noopener">${text(shown)}</a>` : `<span title="${esc(label ?? '')}">${text(shown)}</span>`;
  }
  if (target.startsWith('!')) return `<span class="mention">@${text(target.slice(1).split('^')[0])}</span>`;
  const url = decodeEntities(target);
  if (SAFE_URL.test(url)) return `<a href="${esc(url)}" target="_blank" rel="noopener">${text(label ?? target)}</a>`;
  return text(label ?? target);
}

function decodeEntities(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Slack mrkdwn → HTML. Text is escaped before any markup is added. */
function mrkdwn(src) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let s = String(src ?? '').replace(/\u0000/g, '');
  s = s.replace(/```([\s\S]*?)```/g, (_m, code) => hold(`<pre>${esc(decodeEntities(code.replace(/^\n/, '')))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_m, code) => hold(`<code>${esc(decodeEntities(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_m, inner) => hold(controlToHtml(inner)));
  // A raw ">" starts a quote; an escaped one ("&gt;", as bots escape user text) does not.
  const quoted = [];
  s = s.split('\n').map((line, i) => (line.startsWith('>') ? ((quoted[i] = true), line.replace(/^> ?/, '')) : line)).join('\n');
  s = esc(decodeEntities(s));
  const edge = '(^|[\\s([{"\'\\u0000>*_~])';
  const end = '(?=$|[\\s)\\]}.,;:!?"\'\\u0000<*_~-])';
  s = s.replace(new RegExp(`${edge}\\*([^*\\n]+?)\\*${end}`, 'g'), '$1<strong>$2</strong>');
  s = s.replace(new RegExp(`${edge}_([^_\\n]+?)_${end}`, 'g'), '$1<em>$2</em>');
  s = s.replace(new RegExp(`${edge}~([^~\\n]+?)~${end}`, 'g'), '$1<del>$2</del>');
  s = emojify(s);
  s = s.split('\n').map((line, i) => (quoted[i] ? `<blockquote>${line}</blockquote>` : line)).join('\n');
  s = s.replace(/\n/g, '<br>').replace(/<\/blockquote><br>/g, '</blockquote>');
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i) => held[Number(i)]);
}

/** A text object (plain_text or mrkdwn) as an element. */
function textEl(t, tag = 'span', cls = '') {
  if (!t) return h(tag);
  const html = t.type === 'mrkdwn' ? mrkdwn(t.text) : t.emoji === false ? esc(t.text ?? '') : emojify(esc(t.text ?? ''));
  return h(tag, { class: `mrkdwn ${cls}`.trim(), html });
}
const plain = (t) => (t && typeof t.text === 'string' ? t.text : '');

// ---------------------------------------------------------------- Block Kit

/**
 * Where an element lives decides what its interaction sends:
 * { kind: 'message', channelId, ts } or { kind: 'view', viewId, form }.
 */
function blocksEl(blocks, where) {
  return h('div', { class: 'bk' }, arr(blocks).map((b) => blockEl(b, where)));
}

function blockEl(b, where) {
  const attrs = { class: `bk-${b.type}`, dataset: { blockId: str(b.block_id), blockType: str(b.type) } };
  switch (b.type) {
    case 'header':
      return h('div', attrs, textEl(b.text));
    case 'section': {
      const main = h('div', { class: 'bk-section-main' },
        b.text ? textEl(b.text, 'div') : null,
        arr(b.fields).length ? h('div', { class: 'bk-fields' }, arr(b.fields).map((f) => textEl(f, 'div'))) : null);
      return h('div', attrs, main, b.accessory ? h('div', { class: 'bk-section-accessory' }, elementEl(b.accessory, b, where, true)) : null);
    }
    case 'context':
      return h('div', attrs, arr(b.elements).map((e) => (e.type === 'image' ? h('img', { src: imageUrl(e.image_url, e.slack_file), alt: str(e.alt_text), title: str(e.alt_text) }) : textEl(e))));
    case 'divider':
      return h('hr', { ...attrs, class: 'bk-divider' });
    case 'image':
      return h('figure', { ...attrs, class: 'bk-image', style: 'margin:6px 0' },
        b.title ? h('div', { class: 'bk-image-title' }, plain(b.title)) : null,
        h('img', { src: imageUrl(b.image_url, b.slack_file), alt: str(b.alt_text), title: str(b.alt_text) }));
    case 'actions':
      return h('div', attrs, arr(b.elements).map((e) => elementEl(e, b, where)));
    case 'input':
      return inputBlockEl(b, where);
    case 'rich_text':
      return h('div', { ...attrs, class: 'bk-rich' }, arr(b.elements).map(richEl));
    case 'markdown':
      return h('div', { ...attrs, class: 'bk-markdown mrkdwn', html: mrkdwn(str(b.text).replace(/\*\*([^*]+)\*\*/g, '*$1*')) });
    case 'file':
      return h('div', { ...attrs, class: 'bk-unknown' }, `[remote file ${str(b.external_id)}]`);
    default:
      return h('div', { ...attrs, class: 'bk-unknown' }, `[${str(b.type) || 'block'} block]`);
  }
}

function imageUrl(url, slackFile) {
  const u = str(url) || str(slackFile?.url);
  if (!u && slackFile?.id) return `/files/${encodeURIComponent(slackFile.id)}`;
  // Files the stand-in serves: ask this page's origin, whatever host the bot used.
  const m = /^https?:\/\/[^/]+(\/files\/[A-Z0-9]+)$/.exec(u);
  return m ? m[1] : u;
}

function richEl(el) {
  const inline = (els) => arr(els).map((e) => {
    if (e.type === 'text') {
      let node = h('span', {}, e.text);
      const st = e.style ?? {};
      if (st.code) node = h('code', {}, node);
      if (st.bold) node = h('strong', {}, node);
      if (st.italic) node = h('em', {}, node);
      if (st.strike) node = h('del', {}, node);
      return node;
    }
    if (e.type === 'link') return SAFE_URL.test(str(e.url)) ? h('a', { href: e.url, target: '_blank', rel: 'noopener' }, e.text || e.url) : h('span', {}, e.text || '');
    if (e.type === 'user') return h('span', { class: `mention${e.user_id === ui.me ? ' me' : ''}` }, `@${userName(e.user_id)}`);
    if (e.type === 'usergroup') return h('span', { class: 'mention' }, `@${ui.state?.usergroups?.[e.usergroup_id]?.handle ?? e.usergroup_id}`);
    if (e.type === 'channel') return h('span', { class: 'mention' }, `#${channelName(e.channel_id)}`);
    if (e.type === 'emoji') return h('span', {}, EMOJI[e.name] ?? `:${e.name}:`);
    if (e.type === 'broadcast') return h('span', { class: 'mention' }, `@${e.range}`);
    return h('span', {}, '');
  });
  switch (el.type) {
    case 'rich_text_section': return h('div', {}, inline(el.elements));
    case 'rich_text_preformatted': return h('pre', {}, inline(el.elements));
    case 'rich_text_quote': return h('blockquote', {}, inline(el.elements));
    case 'rich_text_list': return h(el.style === 'ordered' ? 'ol' : 'ul', {}, arr(el.elements).map((i) => h('li', {}, inline(i.elements))));
    default: return h('span', {}, '');
  }
}

function optionText(o) {
  return plain(o?.text);
}
function allOptions(el) {
  return [...arr(el.options), ...arr(el.option_groups).flatMap((g) => arr(g.options))];
}

/** An interactive element. In a message or an actions block it acts at once; in an input it only holds a value. */
function elementEl(el, block, where, accessory = false) {
  const data = { actionId: str(el.action_id), blockId: str(block.block_id), type: str(el.type) };
  const act = (fields) => sendAction(el, block, where, fields);
  switch (el.type) {
    case 'button': {
      const btn = h('button', { type: 'button', class: `bk-btn ${str(el.style)}`, dataset: data, ...(el.accessibility_label ? { 'aria-label': el.accessibility_label } : {}) }, h('span', { html: emojify(esc(plain(el.text))) }));
      btn.addEventListener('click', async () => {
        if (el.confirm && !(await confirmDialog(el.confirm))) return;
        if (el.url && SAFE_URL.test(el.url)) window.open(el.url, '_blank', 'noopener');
        btn.classList.add('busy');
        try { await act({}); } finally { btn.classList.remove('busy'); }
      });
      return btn;
    }
    case 'image':
      return h('img', { class: accessory ? 'bk-accessory-image' : '', src: imageUrl(el.image_url, el.slack_file), alt: str(el.alt_text), title: str(el.alt_text) });
    case 'overflow': {
      const btn = h('button', { type: 'button', class: 'bk-overflow', 'aria-label': 'More actions', dataset: data }, '⋯');
      btn.addEventListener('click', (ev) => {
        ev.stopPropagation();
        showPopover(btn, arr(el.options).map((o) => [optionText(o), async () => {
          if (el.confirm && !(await confirmDialog(el.confirm))) return;
          if (o.url && SAFE_URL.test(o.url)) window.open(o.url, '_blank', 'noopener');
          await act({ value: o.value });
        }]));
      });
      return btn;
    }
    case 'datepicker': case 'timepicker': {
      const date = el.type === 'datepicker';
      const input = h('input', { type: date ? 'date' : 'time', class: date ? 'bk-date' : 'bk-time', dataset: data, value: str(date ? el.initial_date : el.initial_time) });
      input.addEventListener('change', async () => {
        if (!input.value) return;
        if (el.confirm && !(await confirmDialog(el.confirm))) return;
        await act({ extra: date ? { selected_date: input.value } : { selected_time: input.value } });
      });
      return input;
    }
    case 'checkboxes': case 'radio_buttons':
      return choicesEl(el, data, async (values, options) => {
        await act({ extra: el.type === 'checkboxes' ? { selected_options: options } : { selected_option: options[0] ?? null } });
      });
    default:
      if (/select$/.test(el.type)) return selectEl(el, data, act);
      return h('span', { class: 'bk-unknown', dataset: data }, `[${el.type}]`);
  }
}

function userOptions() {
  return (ui.state?.users ?? []).map((u) => ({ value: u.id, label: u.realName }));
}
function conversationOptions() {
  const channels = (ui.state?.channels ?? []).map((c) => ({ value: c.id, label: `#${c.name}` }));
  return channels;
}

/** Native selects: testable, accessible, and good enough for a stand-in. */
function selectEl(el, data, act) {
  const multi = el.type.startsWith('multi_');
  const kind = el.type.replace(/^multi_/, '');
  const sel = h('select', { class: 'bk-select', dataset: data, ...(multi ? { multiple: true, size: 4 } : {}) });
  if (!multi) sel.append(h('option', { value: '', disabled: true, selected: true }, plain(el.placeholder) || 'Select an option'));
  let initial = [];
  if (kind === 'static_select' || kind === 'external_select') {
    const groups = arr(el.option_groups);
    const addOption = (parent, o) => parent.append(h('option', { value: o.value }, optionText(o)));
    if (groups.length) for (const g of groups) { const og = h('optgroup', { label: plain(g.label) }); arr(g.options).forEach((o) => addOption(og, o)); sel.append(og); }
    else arr(el.options).forEach((o) => addOption(sel, o));
    initial = multi ? arr(el.initial_options).map((o) => o.value) : el.initial_option ? [el.initial_option.value] : [];
  } else {
    const options = kind === 'users_select' ? userOptions() : conversationOptions();
    options.forEach((o) => sel.append(h('option', { value: o.value }, o.label)));
    const init = kind === 'users_select' ? (multi ? el.initial_users : el.initial_user)
      : kind === 'channels_select' ? (multi ? el.initial_channels : el.initial_channel)
        : multi ? el.initial_conversations : el.initial_conversation;
    initial = multi ? arr(init) : init ? [init] : [];
  }
  for (const o of sel.options) if (initial.includes(o.value)) o.selected = true;
  sel.addEventListener('change', async () => {
    const values = [...sel.selectedOptions].map((o) => o.value).filter(Boolean);
    if (!act || values.length === 0) return;
    if (el.confirm && !(await confirmDialog(el.confirm))) return;
    if (kind === 'static_select' || kind === 'external_select') {
      const chosen = allOptions(el).filter((o) => values.includes(o.value));
      await act(multi ? { extra: { selected_options: chosen } } : { value: values[0] });
    } else {
      const field = { users_select: 'user', channels_select: 'channel', conversations_select: 'conversation' }[kind] ?? 'conversation';
      await act({ extra: multi ? { [`selected_${field}s`]: values } : { [`selected_${field}`]: values[0] } });
    }
  });
  return sel;
}

function choicesEl(el, data, onChange) {
  const radio = el.type === 'radio_buttons';
  const name = `${data.blockId}/${data.actionId}/${Math.random().toString(36).slice(2)}`;
  const initial = radio ? (el.initial_option ? [el.initial_option.value] : []) : arr(el.initial_options).map((o) => o.value);
  const box = h('div', { class: 'bk-choices', dataset: data });
  for (const o of arr(el.options)) {
    const input = h('input', { type: radio ? 'radio' : 'checkbox', name, value: o.value, ...(initial.includes(o.value) ? { checked: true } : {}) });
    box.append(h('label', {}, input, h('span', {}, textEl(o.text), o.description ? textEl(o.description, 'span', 'bk-choice-desc') : null)));
  }
  if (onChange) {
    box.addEventListener('change', () => {
      const values = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      onChange(values, arr(el.options).filter((o) => values.includes(o.value)));
    });
  }
  return box;
}

function inputElementEl(el, block, where) {
  const data = { actionId: str(el.action_id), blockId: str(block.block_id), type: str(el.type), input: '1' };
  const dispatch = Boolean(block.dispatch_action);
  const act = dispatch ? (fields) => sendAction(el, block, where, fields) : null;
  switch (el.type) {
    case 'plain_text_input': case 'email_text_input': case 'url_text_input': case 'number_input': {
      const type = { email_text_input: 'email', url_text_input: 'url', number_input: 'number' }[el.type] ?? 'text';
      const attrs = {
        class: 'bk-text', dataset: data, placeholder: plain(el.placeholder),
        ...(el.max_length ? { maxlength: el.max_length } : {}), ...(el.min_length ? { minlength: el.min_length } : {}),
        ...(el.type === 'number_input' && el.min_value !== undefined ? { min: el.min_value } : {}),
        ...(el.type === 'number_input' && el.max_value !== undefined ? { max: el.max_value } : {}),
        ...(el.type === 'number_input' && !el.is_decimal_allowed ? { step: 1 } : {}),
      };
      const input = el.multiline ? h('textarea', attrs) : h('input', { ...attrs, type });
      input.value = str(el.initial_value);
      if (el.focus_on_load) setTimeout(() => input.focus(), 0);
      if (act) input.addEventListener(el.multiline ? 'change' : 'keydown', (ev) => {
        if (ev.type === 'keydown' && ev.key !== 'Enter') return;
        ev.preventDefault();
        act({ extra: { value: input.value } });
      });
      return input;
    }
    case 'datepicker': case 'timepicker': {
      const date = el.type === 'datepicker';
      const input = h('input', { type: date ? 'date' : 'time', class: 'bk-text', dataset: data, value: str(date ? el.initial_date : el.initial_time) });
      if (act) input.addEventListener('change', () => act({ extra: date ? { selected_date: input.value } : { selected_time: input.value } }));
      return input;
    }
    case 'checkboxes': case 'radio_buttons':
      return choicesEl(el, data, act ? (values, options) => act({ extra: el.type === 'checkboxes' ? { selected_options: options } : { selected_option: options[0] ?? null } }) : null);
    default:
      if (/select$/.test(el.type)) {
        const sel = selectEl(el, data, act);
        return sel;
      }
      return h('span', { class: 'bk-unknown', dataset: data }, `[${el.type}]`);
  }
}

function inputBlockEl(b, where) {
  const error = where.kind === 'view' ? ui.viewErrors[where.viewId]?.[b.block_id] : undefined;
  const el = b.element ?? {};
  const control = inputElementEl(el, b, where);
  const id = `in-${str(b.block_id)}-${str(el.action_id)}`.replace(/[^\w-]/g, '_');
  control.id = id;
  return h('div', { class: `bk-input${error ? ' has-error' : ''}`, dataset: { blockId: str(b.block_id), blockType: 'input', optional: b.optional ? '1' : '' } },
    h('label', { for: id }, plain(b.label), b.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    control,
    b.hint ? h('div', { class: 'bk-input-hint' }, plain(b.hint)) : null,
    error ? h('div', { class: 'bk-input-error', role: 'alert' }, '⚠ ', error) : null);
}

/** action_id → value(s) of every input in a rendered view, as the stand-in's submit expects. */
function formValues(root) {
  const values = {};
  for (const block of root.querySelectorAll('[data-block-type="input"]')) {
    const control = block.querySelector('[data-input="1"]');
    if (!control) continue;
    const actionId = control.dataset.actionId;
    const type = control.dataset.type;
    if (type === 'checkboxes') values[actionId] = [...control.querySelectorAll('input:checked')].map((i) => i.value);
    else if (type === 'radio_buttons') { const v = control.querySelector('input:checked')?.value; if (v) values[actionId] = v; }
    else if (control.tagName === 'SELECT' && control.multiple) values[actionId] = [...control.selectedOptions].map((o) => o.value);
    else if (control.value !== '') values[actionId] = control.value;
  }
  return values;
}

/** What the user typed, keyed by block and action, to survive a re-render. */
function snapshotInputs(root) {
  const saved = {};
  for (const c of root.querySelectorAll('[data-input="1"]')) {
    const key = `${c.dataset.blockId}/${c.dataset.actionId}`;
    if (c.dataset.type === 'checkboxes' || c.dataset.type === 'radio_buttons') saved[key] = [...c.querySelectorAll('input:checked')].map((i) => i.value);
    else if (c.tagName === 'SELECT') saved[key] = [...c.selectedOptions].map((o) => o.value);
    else saved[key] = c.value;
  }
  return saved;
}
function restoreInputs(root, saved) {
  for (const c of root.querySelectorAll('[data-input="1"]')) {
    const v = saved[`${c.dataset.blockId}/${c.dataset.actionId}`];
    if (v === undefined) continue;
    if (c.dataset.type === 'checkboxes' || c.dataset.type === 'radio_buttons') c.querySelectorAll('input').forEach((i) => { i.checked = v.includes(i.value); });
    else if (c.tagName === 'SELECT') { for (const o of c.options) o.selected = v.includes(o.value); }
    else c.value = v;
  }
}

async function sendAction(el, block, where, fields) {
  const body = { actionId: el.action_id, ...fields, timeoutMs: 4000, settleMs: 200 };
  if (where.kind === 'message') Object.assign(body, { channelId: where.channelId, ts: where.ts });
  else Object.assign(body, { viewId: where.viewId, values: where.form ? formValues(where.form()) : undefined });
  const { status, data } = await post('/local/action', body);
  if (status !== 200) return note(`The stand-in could not send that: ${data.error ?? `HTTP ${status}`}`);
  if (data.ack && data.ack.status !== 200) note(`analytics-bot did not answer that click (HTTP ${data.ack.status}).`);
  reportReplyErrors(data.replies);
}

function reportReplyErrors(replies) {
  for (const r of arr(replies)) if (r.kind === 'error') note(`The bot's ${r.text}`, { dev: true });
}

// ---------------------------------------------------------------- popovers and confirm dialogs

function showPopover(anchor, items) {
  const pop = $('popover');
  pop.replaceChildren(...items.map(([label, run]) => h('button', { type: 'button', onclick: () => { pop.hidden = true; run(); } }, label)));
  const r = anchor.getBoundingClientRect();
  pop.hidden = false;
  pop.style.top = `${Math.min(r.bottom + 4, innerHeight - pop.offsetHeight - 8)}px`;
  pop.style.left = `${Math.min(r.left, innerWidth - pop.offsetWidth - 8)}px`;
}
document.addEventListener('click', (ev) => { if (!$('popover').contains(ev.target)) $('popover').hidden = true; });

function confirmDialog(c) {
  return new Promise((resolve) => {
    const overlay = $('confirm-overlay');
    const done = (ok) => { overlay.hidden = true; resolve(ok); };
    $('confirm').replaceChildren(
      h('div', { class: 'modal-header' }, h('div', { class: 'modal-title' }, plain(c.title) || 'Are you sure?')),
      h('div', { class: 'modal-body' }, textEl(c.text, 'div')),
      h('div', { class: 'modal-footer' },
        h('button', { type: 'button', class: 'bk-btn', onclick: () => done(false) }, plain(c.deny) || 'Cancel'),
        h('button', { type: 'button', class: `bk-btn ${c.style === 'danger' ? 'danger' : 'primary'}`, dataset: { confirm: '1' }, onclick: () => done(true) }, plain(c.confirm) || 'Yes')));
    overlay.hidden = false;
  });
}

// ---------------------------------------------------------------- messages

function convId() {
  if (ui.view === 'dm' || ui.view === 'home') return ui.state?.dm;
  return ui.view.slice('channel:'.length);
}

/** The app's icon (no emoji font needed). */
const botIcon = () => h('img', { src: '/static/favicon.svg', alt: '', class: 'bot-icon' });

function tsTime(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
}

function messageEl(m, channelId, { inThread = false } = {}) {
  const where = { kind: 'message', channelId, ts: m.ts };
  const body = h('div', { class: 'msg-body' });
  if (arr(m.blocks).length) body.append(blocksEl(m.blocks, where));
  else if (m.text) body.append(h('div', { class: 'mrkdwn', html: mrkdwn(m.text) }));
  for (const a of arr(m.attachments)) {
    body.append(h('div', { class: 'attachment', style: a.color ? `border-left-color:${/^#?[0-9a-f]{3,8}$/i.test(a.color) ? (a.color.startsWith('#') ? a.color : `#${a.color}`) : '#ddd'}` : '' },
      a.title ? h('strong', {}, a.title) : null,
      arr(a.blocks).length ? blocksEl(a.blocks, where) : a.text ? h('div', { class: 'mrkdwn', html: mrkdwn(a.text) }) : null,
      arr(a.fields).map((f) => h('div', {}, h('strong', {}, f.title ?? ''), h('div', { class: 'mrkdwn', html: mrkdwn(f.value ?? '') })))));
  }
  for (const f of arr(m.files)) {
    body.append(/^image\//.test(f.mimetype)
      ? h('div', { class: 'file file-image', dataset: { fileId: f.id } }, h('div', { class: 'file-title' }, f.title || f.name), h('a', { href: f.url, target: '_blank' }, h('img', { src: f.url, alt: f.title || f.name })))
      : h('div', { class: 'file', dataset: { fileId: f.id } }, h('a', { class: 'file-card', href: f.url, download: f.name }, '📄 ', f.title || f.name, h('span', { class: 'msg-time' }, ` ${Math.ceil((f.size ?? 0) / 1024)} KB`))));
  }
  if (!inThread && m.reply_count > 0) {
    body.append(h('button', { type: 'button', class: 'replies', onclick: () => openThread(m.ts) }, `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`));
  }
  if (m.ephemeral) body.append(h('div', { class: 'ephemeral-label' }, '👁 Only visible to you'));
  const isBot = m.user === ui.state?.bot?.userId || m.bot_id;
  return h('article', { class: `msg${m.ephemeral ? ' ephemeral' : ''}`, dataset: { ts: m.ts, ephemeral: m.ephemeral ? '1' : '0' } },
    h('div', { class: `avatar ${isBot ? 'bot' : ''}` }, isBot ? botIcon() : userName(m.user).slice(0, 1)),
    h('div', {},
      h('div', { class: 'msg-head' },
        h('span', { class: 'msg-name' }, userName(m.user)),
        isBot ? h('span', { class: 'app-tag' }, 'APP') : null,
        h('span', { class: 'msg-time', title: m.ts }, tsTime(m.ts)),
        m.edited ? h('span', { class: 'edited' }, '(edited)') : null),
      body));
}

function noteEl(n) {
  return h('article', { class: 'msg ephemeral local-note', dataset: { note: '1' } },
    h('div', { class: 'avatar slackbot' }, '✱'),
    h('div', {},
      h('div', { class: 'msg-head' }, h('span', { class: 'msg-name' }, 'Slackbot'), h('span', { class: 'msg-time' }, tsTime(n.ts))),
      h('div', { class: 'msg-body' }, h('div', { class: 'mrkdwn', html: mrkdwn(n.text) }), h('div', { class: 'ephemeral-label' }, '👁 Only visible to you'))));
}

function note(text) {
  const id = convId();
  (ui.notes[id] ??= []).push({ ts: String(Date.now() / 1000), text, me: ui.me });
  renderMessages(true);
}

/** Reuses a message's element while its content is unchanged, so selects and focus survive updates. */
function cachedMessageEl(m, channelId, opts) {
  const key = `${opts?.inThread ? 't' : 'm'}:${ui.me}:${channelId}:${m.ts}`;
  if (ui.rendered.size > 5000) ui.rendered.clear();
  const sig = JSON.stringify(m);
  const hit = ui.rendered.get(key);
  if (hit && hit.sig === sig) return hit.el;
  const el = messageEl(m, channelId, opts);
  if (hit) el.classList.add('flash');
  ui.rendered.set(key, { sig, el });
  return el;
}

function renderMessages(scrollToEnd = false) {
  const list = $('messages');
  const id = convId();
  const all = ui.state?.conversations?.[id] ?? [];
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const notes = (ui.notes[id] ?? []).filter((n) => n.me === ui.me);
  const items = [...top.map((m) => ({ ts: m.ts, el: () => cachedMessageEl(m, id) })), ...notes.map((n) => ({ ts: n.ts, el: () => noteEl(n) }))]
    .sort((a, b) => Number(a.ts) - Number(b.ts));
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const nodes = items.map((i) => i.el());
  if (nodes.length === 0) {
    const what = ui.view === 'dm' ? 'This is the very beginning of your messages with <strong>analytics-bot</strong>.' : 'This is the very beginning of <strong>#analytics</strong>.';
    nodes.push(h('div', { class: 'empty', html: `${what} Type <code>/</code> below to see the bot's commands; try <code>/telemetry acme</code>.` }));
  }
  // Keep existing nodes in place (no flicker, open selects stay open) and only move what changed.
  nodes.forEach((n, i) => { if (list.children[i] !== n) list.insertBefore(n, list.children[i] ?? null); });
  while (list.children.length > nodes.length) list.lastChild.remove();
  if (atEnd || scrollToEnd) list.scrollTop = list.scrollHeight;
  ui.seen[`${ui.me}:${id}`] = all.length;
}

function openThread(ts) {
  ui.threadTs = ts;
  renderThread();
}

function renderThread() {
  const panel = $('thread');
  const id = convId();
  const all = ui.state?.conversations?.[id] ?? [];
  const parent = all.find((m) => m.ts === ui.threadTs);
  if (!ui.threadTs || !parent || ui.view === 'home') { panel.hidden = true; return; }
  const replies = all.filter((m) => m.thread_ts === ui.threadTs && m.ts !== ui.threadTs);
  $('thread-where').textContent = ui.view === 'dm' ? 'analytics-bot' : `#${channelName(id)}`;
  const nodes = [cachedMessageEl(parent, id, { inThread: true }),
    h('div', { class: 'thread-sep' }, `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`),
    ...replies.map((m) => cachedMessageEl(m, id, { inThread: true }))];
  const body = $('thread-body');
  nodes.forEach((n, i) => { if (body.children[i] !== n) body.insertBefore(n, body.children[i] ?? null); });
  while (body.children.length > nodes.length) body.lastChild.remove();
  panel.hidden = false;
}
$('thread-close').addEventListener('click', () => { ui.threadTs = null; renderThread(); });

// ---------------------------------------------------------------- modals and App Home

function renderModal() {
  const stack = ui.state?.modals ?? [];
  const view = stack.at(-1);
  const overlay = $('modal-overlay');
  if (!view) {
    overlay.hidden = true;
    ui.modalKey = null;
    ui.typed = {};
    return;
  }
  const key = `${view.id}:${view.hash}`;
  if (ui.modalKey === key && !overlay.hidden) return;
  const modal = $('modal');
  // Slack keeps what was typed in a view across updates, and when a pushed view goes back to it.
  if (ui.modalKey) ui.typed[ui.modalKey.split(':')[0]] = snapshotInputs(modal);
  ui.modalKey = key;
  renderModalContent(view, stack.length > 1);
  restoreInputs(modal, ui.typed[view.id] ?? {});
  overlay.hidden = false;
}

function renderModalContent(view, canGoBack, banner) {
  const modal = $('modal');
  const body = h('form', { class: 'modal-body', novalidate: true });
  const where = { kind: 'view', viewId: view.id, form: () => body };
  if (banner) body.append(h('div', { class: 'modal-error', role: 'alert' }, banner));
  body.append(blocksEl(view.blocks, where));
  const submitBtn = view.submit ? h('button', { type: 'submit', class: 'bk-btn primary', dataset: { modalSubmit: '1' } }, plain(view.submit)) : null;
  body.addEventListener('submit', (ev) => { ev.preventDefault(); submitModal(view, body, submitBtn); });
  modal.replaceChildren(
    h('div', { class: 'modal-header' },
      canGoBack ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Back', dataset: { modalBack: '1' }, onclick: () => closeModal(false) }, '‹') : null,
      h('div', { class: 'modal-app' }, botIcon()),
      h('div', { class: 'modal-title' }, plain(view.title)),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', dataset: { modalClose: '1' }, onclick: () => closeModal(true) }, '✕')),
    body,
    h('div', { class: 'modal-footer' },
      h('button', { type: 'button', class: 'bk-btn', dataset: { modalCancel: '1' }, onclick: () => closeModal(false) }, plain(view.close) || 'Cancel'),
      submitBtn ? Object.assign(submitBtn, { onclick: (ev) => { ev.preventDefault(); submitModal(view, body, submitBtn); } }) : null));
}

/** Slack checks required inputs in the client before sending anything. */
function missingRequired(form) {
  const errors = {};
  for (const block of form.querySelectorAll('[data-block-type="input"]')) {
    if (block.dataset.optional) continue;
    const control = block.querySelector('[data-input="1"]');
    if (!control) continue;
    const empty = control.dataset.type === 'checkboxes' || control.dataset.type === 'radio_buttons'
      ? !control.querySelector('input:checked')
      : control.tagName === 'SELECT' ? [...control.selectedOptions].every((o) => !o.value) : control.value.trim() === '';
    if (empty) errors[block.dataset.blockId] = 'Please complete this required field.';
    else if (control.minLength > 0 && control.value.length < control.minLength) errors[block.dataset.blockId] = `Please enter at least ${control.minLength} characters.`;
  }
  return errors;
}

async function submitModal(view, form, btn) {
  const local = missingRequired(form);
  if (Object.keys(local).length) return showViewErrors(view, local);
  const values = formValues(form);
  btn?.classList.add('busy');
  const { status, data } = await post('/local/submit', { viewId: view.id, values, timeoutMs: 4000, settleMs: 200 }).finally(() => btn?.classList.remove('busy'));
  if (status !== 200 || data.ack?.status !== 200) {
    const saved = snapshotInputs($('modal'));
    renderModalContent(view, (ui.state?.modals ?? []).length > 1, 'We had some trouble connecting. Try again?');
    restoreInputs($('modal'), saved);
    return;
  }
  reportReplyErrors(data.replies);
  if (data.responseAction === 'errors') return showViewErrors(view, data.errors ?? {});
  delete ui.viewErrors[view.id];
  scheduleRefresh();
}

function showViewErrors(view, errors) {
  ui.viewErrors[view.id] = errors;
  const modal = $('modal');
  const saved = snapshotInputs(modal);
  renderModalContent(view, (ui.state?.modals ?? []).length > 1);
  restoreInputs(modal, saved);
  modal.querySelector('.has-error [data-input="1"], .has-error input')?.focus();
}

async function closeModal(all) {
  const view = ui.state?.modals?.at(-1);
  if (view) delete ui.viewErrors[view.id];
  await post('/local/close', { clearAll: all });
  scheduleRefresh();
}

let homeRequested = null;
async function openHome() {
  homeRequested = ui.me;
  const { status, data } = await post('/local/home', {});
  if (status !== 200 || data.ack?.status !== 200) ui.homeProblem = `The bot did not accept the app_home_opened event (HTTP ${data.ack?.status ?? status}).`;
  else ui.homeProblem = null;
  setTimeout(() => { ui.homeAsked = true; renderHome(); }, 1500);
}

function renderHome() {
  const pane = $('home');
  const view = ui.state?.home;
  const key = view ? `${view.id}:${view.hash}` : `none:${ui.homeAsked ? 1 : 0}:${ui.homeProblem ?? ''}`;
  if (pane.dataset.key === key) return;
  pane.dataset.key = key;
  if (!view) {
    pane.replaceChildren(h('div', { class: 'home-empty' }, ui.homeProblem ?? (ui.homeAsked ? 'analytics-bot has not published a Home tab for you.' : 'Opening the Home tab…')));
    return;
  }
  pane.replaceChildren(blocksEl(view.blocks, { kind: 'view', viewId: view.id, form: () => pane }));
}

// ---------------------------------------------------------------- sidebar, tabs, whoami

function render() {
  const s = ui.state;
  if (!s) return;
  $('team-name').textContent = s.team.name;
  renderSidebar();
  const home = ui.view === 'home';
  $('messages').hidden = home;
  $('home').hidden = !home;
  $('composer-form').hidden = home;
  $('tabs').hidden = ui.view !== 'home' && ui.view !== 'dm';
  $('tab-home').classList.toggle('active', home);
  $('tab-messages').classList.toggle('active', ui.view === 'dm');
  $('conv-title').textContent = ui.view.startsWith('channel:') ? `# ${channelName(convId())}` : 'analytics-bot';
  $('composer').placeholder = ui.view === 'dm' ? 'Message analytics-bot: type / for its commands' : `Message #${channelName(convId())}: type / for the bot's commands`;
  if (home) renderHome(); else renderMessages();
  renderThread();
  renderModal();
}

function renderSidebar() {
  const s = ui.state;
  const unread = (id) => Math.max(0, (s.conversations[id]?.length ?? 0) - (ui.seen[`${ui.me}:${id}`] ?? 0));
  const item = (label, view, id, extra) => {
    const active = ui.view === view || (view === 'dm' && ui.view === 'home');
    const count = active || !id ? 0 : unread(id);
    return h('li', {}, h('button', { type: 'button', class: `${active ? 'active' : ''} ${count ? 'unread' : ''}`, dataset: { nav: view }, onclick: () => go(view) },
      extra, label, count ? h('span', { class: 'badge' }, count) : null));
  };
  $('channel-list').replaceChildren(...s.channels.map((c) => item(c.name, `channel:${c.id}`, c.id, h('span', {}, '#'))));
  $('app-list').replaceChildren(item('analytics-bot', 'dm', s.dm, h('span', { class: 'app-dot' }, botIcon())));
  const sel = $('whoami');
  if (sel.options.length !== s.users.length) {
    sel.replaceChildren(...s.users.map((u) => h('option', { value: u.id }, `${u.realName} (${u.role})`)));
  }
  sel.value = ui.me;
  const me = s.users.find((u) => u.id === ui.me);
  $('whoami-hint').textContent = me ? `${me.id}: ${{ 'regular user': 'may ask for anything', BizOps: 'may rerun pipelines and triage requests', 'Looker admin': 'may approve Looker access' }[me.role] ?? ''}` : '';
}

function go(view) {
  if (ui.view !== view) ui.threadTs = null;
  const wasHome = ui.view === 'home';
  ui.view = view === 'dm' && ui.view === 'home' ? 'dm' : view;
  if (ui.view === 'home' && !wasHome) { ui.homeAsked = false; openHome(); }
  render();
  if (ui.view !== 'home') { $('messages').scrollTop = $('messages').scrollHeight; $('composer').focus(); }
}
$('tab-home').addEventListener('click', () => go('home'));
$('tab-messages').addEventListener('click', () => go('dm'));

$('whoami').addEventListener('change', () => {
  ui.me = $('whoami').value;
  localStorage.setItem('standin.as', ui.me);
  const url = new URL(location.href);
  url.searchParams.set('as', ui.me);
  history.replaceState(null, '', url);
  ui.modalKey = null;
  ui.threadTs = null;
  if (ui.view === 'home') { ui.homeAsked = false; openHome(); }
  refresh();
});

// ---------------------------------------------------------------- composer and completion

const composer = $('composer');

function completions() {
  const v = composer.value;
  if (!/^\/\S*$/.test(v)) return [];
  return (ui.state?.commands ?? []).filter((c) => c.command.startsWith(v.toLowerCase()));
}

function renderCompletions() {
  const list = $('completions');
  const items = completions();
  if (items.length === 0) { list.hidden = true; renderHint(); return; }
  ui.completionIndex = Math.min(ui.completionIndex, items.length - 1);
  list.replaceChildren(...items.map((c, i) => h('li', { role: 'option', class: i === ui.completionIndex ? 'selected' : '', dataset: { command: c.command }, onmousedown: (ev) => { ev.preventDefault(); complete(c); } },
    h('span', { class: 'cmd' }, c.command), h('span', { class: 'hint' }, c.usageHint),
    c.description ? h('span', { class: 'desc' }, c.description) : null,
    h('span', { class: 'from' }, 'analytics-bot'))));
  list.hidden = false;
  renderHint();
}

function renderHint() {
  const m = /^(\/\S+)\s/.exec(composer.value);
  const cmd = m && (ui.state?.commands ?? []).find((c) => c.command === m[1]);
  $('composer-hint').innerHTML = cmd
    ? `<code>${esc(cmd.command)}</code> ${esc(cmd.usageHint)}${cmd.description ? ` · ${esc(cmd.description)}` : ''}`
    : composer.value ? '<strong>Enter</strong> to send · <strong>Shift+Enter</strong> for a new line' : '';
}

function complete(c) {
  composer.value = `${c.command} `;
  ui.completionIndex = 0;
  renderCompletions();
  composer.focus();
}

composer.addEventListener('input', () => {
  ui.completionIndex = 0;
  composer.style.height = 'auto';
  composer.style.height = `${Math.min(composer.scrollHeight, 160)}px`;
  renderCompletions();
});
composer.addEventListener('keydown', (ev) => {
  const items = completions();
  const open = !$('completions').hidden && items.length > 0;
  if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
    ev.preventDefault();
    ui.completionIndex = (ui.completionIndex + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    renderCompletions();
  } else if (open && (ev.key === 'Tab' || (ev.key === 'Enter' && !ev.shiftKey && composer.value !== items[ui.completionIndex]?.command))) {
    ev.preventDefault();
    complete(items[ui.completionIndex]);
  } else if (ev.key === 'Escape') {
    $('completions').hidden = true;
  } else if (ev.key === 'Enter' && !ev.shiftKey) {
    ev.preventDefault();
    send();
  }
});
$('composer-form').addEventListener('submit', (ev) => { ev.preventDefault(); send(); });

async function send() {
  const line = composer.value.trim();
  if (!line) return;
  composer.value = '';
  composer.style.height = 'auto';
  renderCompletions();
  const m = /^(\/[^\s]+)\s*([\s\S]*)$/.exec(line);
  if (!m) return note(`analytics-bot only listens to slash commands. Type \`/\` to see them, e.g. \`/telemetry acme\`.`);
  const [, command, text] = m;
  if (!(ui.state?.commands ?? []).some((c) => c.command === command)) {
    return note(`\`${command}\` is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`);
  }
  const sentIn = convId();
  $('composer-hint').textContent = `Sent ${command}${text ? ` ${text}` : ''}`;
  const { status, data } = await post('/local/command', { command, text, channelId: sentIn, timeoutMs: 8000, settleMs: 300 });
  if (status !== 200) return note(`The stand-in could not send \`${command}\`: ${data.error ?? `HTTP ${status}`}`);
  if (data.ack && data.ack.status !== 200) return note(`\`${command}\` failed with the error "dispatch_failed"`);
  reportReplyErrors(data.replies);
}

// ---------------------------------------------------------------- start

window.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !$('modal-overlay').hidden && $('confirm-overlay').hidden) closeModal(true);
});

connect();
refresh().then(() => composer.focus());
