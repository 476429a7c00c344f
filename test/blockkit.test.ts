/**
 * The shared Block Kit modules (src/blockkit/): the one mrkdwn parser (the
 * page draws its tree, the stand-in's text renderer prints it) and the one
 * check of Slack's limits (the stand-in's invalid_blocks, the view tests).
 */
import { describe, expect, it } from 'vitest';
import { blockKitProblems, formatProblem, SLACK_LIMITS, viewProblems } from '../src/blockkit/limits.js';
import { mrkdwnPlainText, parseMrkdwn, type MrkdwnNode } from '../src/blockkit/mrkdwn.js';
import { mrkdwnToText } from '../src/slack-standin/render-text.js';
import { SLACK_LIMITS as viewsLimits } from '../views/common.js';

const links = (nodes: MrkdwnNode[]): Array<{ url: string; label?: string }> =>
  nodes.flatMap((n): Array<{ url: string; label?: string }> => {
    if (n.type === 'link') return [{ url: n.url, ...(n.label === undefined ? {} : { label: n.label }) }];
    return 'children' in n ? links(n.children) : [];
  });

describe('parseMrkdwn', () => {
  it('reads emphasis only where words start and end, and nests it', () => {
    expect(parseMrkdwn('*bold* _it_ ~gone~')).toEqual([
      { type: 'bold', children: [{ type: 'text', text: 'bold' }] },
      { type: 'text', text: ' ' },
      { type: 'italic', children: [{ type: 'text', text: 'it' }] },
      { type: 'text', text: ' ' },
      { type: 'strike', children: [{ type: 'text', text: 'gone' }] },
    ]);
    expect(parseMrkdwn('*a _b_ c*')).toEqual([{ type: 'bold', children: [{ type: 'text', text: 'a ' }, { type: 'italic', children: [{ type: 'text', text: 'b' }] }, { type: 'text', text: ' c' }] }]);
    for (const text of ['2*3*4', 'snake_case_name', 'a * b * c', '*unclosed', 'file_*.csv']) {
      expect(parseMrkdwn(text), text).toEqual([{ type: 'text', text }]);
    }
  });

  it('reads control sequences: links, mentions, user groups, broadcasts and dates', () => {
    expect(parseMrkdwn('<https://x.example/a?b=1&amp;c=2|the &lt;docs&gt;> <@U1> <@U2|riley> <#C1|analytics> <!subteam^S1|@bizops> <!here> <!date^1700000000^{date_short}|Nov 14>')).toEqual([
      { type: 'link', url: 'https://x.example/a?b=1&c=2', label: 'the <docs>' },
      { type: 'text', text: ' ' },
      { type: 'user', id: 'U1' },
      { type: 'text', text: ' ' },
      { type: 'user', id: 'U2', label: 'riley' },
      { type: 'text', text: ' ' },
      { type: 'channel', id: 'C1', label: 'analytics' },
      { type: 'text', text: ' ' },
      { type: 'usergroup', id: 'S1', label: '@bizops' },
      { type: 'text', text: ' ' },
      { type: 'broadcast', range: 'here' },
      { type: 'text', text: ' ' },
      { type: 'date', seconds: 1700000000, format: '{date_short}', raw: '!date^1700000000^{date_short}', fallback: 'Nov 14' },
    ]);
  });

  it("links bare URLs as Slack does, without the sentence's punctuation, but not in code or verbatim text", () => {
    const text = 'See https://example.com/a_(b)?x=1&amp;y=2. Or (www.example.org), `https://code.example` and https://a.example/x_y_.';
    expect(links(parseMrkdwn(text))).toEqual([
      { url: 'https://example.com/a_(b)?x=1&y=2', label: 'https://example.com/a_(b)?x=1&y=2' },
      { url: 'http://www.example.org', label: 'www.example.org' },
      { url: 'https://a.example/x_y', label: 'https://a.example/x_y' },
    ]);
    expect(mrkdwnPlainText(parseMrkdwn(text))).toBe('See https://example.com/a_(b)?x=1&y=2. Or (www.example.org), https://code.example and https://a.example/x_y_.');
    expect(links(parseMrkdwn('*https://bold.example*'))).toEqual([{ url: 'https://bold.example', label: 'https://bold.example' }]);
    expect(links(parseMrkdwn(text, { verbatim: true }))).toEqual([]);
    expect(links(parseMrkdwn('mail me at someone@https.example or see http:// alone'))).toEqual([]);
  });

  it('quotes lines that start with a raw ">", not an escaped one, and keeps code as written', () => {
    expect(parseMrkdwn('> one\n> two\n&gt; not quoted\n```\n*not bold* <@U1>\n```')).toEqual([
      { type: 'quote', children: [{ type: 'text', text: 'one' }, { type: 'linebreak' }, { type: 'text', text: 'two' }] },
      { type: 'linebreak' },
      { type: 'text', text: '> not quoted' },
      { type: 'linebreak' },
      { type: 'preformatted', text: '\n*not bold* <@U1>\n' },
    ]);
    expect(parseMrkdwn('`a &lt; b` :white_check_mark:')).toEqual([{ type: 'code', text: 'a < b' }, { type: 'text', text: ' ' }, { type: 'emoji', name: 'white_check_mark' }]);
  });

  it('prints as readable text for the CLI, keeping emphasis markers', () => {
    expect(mrkdwnToText('*Level*: _Full pings_ ~x~ `code`')).toBe('*Level*: _Full pings_ ~x~ `code`');
    expect(mrkdwnToText('Owner <@U0REGULAR>, see <https://looker.example.com/x|Looker> &amp; <mailto:a@b.example|mail> <!subteam^S1> <!channel>')).toBe(
      'Owner @U0REGULAR, see Looker (https://looker.example.com/x) & mail (mailto:a@b.example) @S1 @channel',
    );
    expect(mrkdwnToText('plain https://example.com/x. &lt;b&gt;')).toBe('plain https://example.com/x. <b>');
  });
});

describe('Block Kit limits', () => {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const button = (action_id: string, text = 'Go') => ({ type: 'button', action_id, text: { type: 'plain_text', text } });

  it('is the one SLACK_LIMITS the views use', () => {
    expect(viewsLimits).toBe(SLACK_LIMITS);
  });

  it('accepts what Slack accepts, at the limits', () => {
    const blocks = [
      section('x'.repeat(SLACK_LIMITS.sectionText)),
      { type: 'actions', elements: [button('a', 'x'.repeat(SLACK_LIMITS.buttonText)), button('b')] },
      ...Array.from({ length: SLACK_LIMITS.messageBlocks - 2 }, () => ({ type: 'divider' })),
    ];
    expect(blockKitProblems(blocks)).toEqual([]);
  });

  it('finds what Slack rejects, with a pointer to it', () => {
    const problems = blockKitProblems([
      section(''),
      { type: 'header', text: { type: 'mrkdwn', text: 'x' } },
      { type: 'actions', block_id: 'x', elements: [button('dup'), button('dup'), button('long', 'x'.repeat(76))] },
      { type: 'section', block_id: 'x', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'image', image_url: 'https://x.example/a.png' },
      { type: 'actions', elements: [{ type: 'overflow', action_id: 'o', options: Array.from({ length: 6 }, (_, i) => ({ text: { type: 'plain_text', text: `${i}` }, value: `${i}` })) }] },
      { type: 'input', label: { type: 'plain_text', text: 'Pick' }, element: { type: 'static_select', action_id: 's', options: [{ text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v' }] } },
    ]);
    expect(problems.map((p) => p.pointer)).toEqual([
      '/blocks/0/text',
      '/blocks/1/text',
      '/blocks/2/elements/1/action_id',
      '/blocks/2/elements/2/text',
      '/blocks/3/block_id',
      '/blocks/3/fields',
      '/blocks/4/alt_text',
      '/blocks/5/elements/0/options',
      '/blocks/6/element/options/0/text',
    ]);
    expect(formatProblem(problems[0]!)).toBe('[ERROR] text must be 1-3000 characters [json-pointer:/blocks/0/text]');
    expect(blockKitProblems(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toEqual([{ pointer: '/blocks', message: 'must be less than 51 items' }]);
    expect(blockKitProblems(Array.from({ length: 51 }, () => ({ type: 'divider' })), 'modal')).toEqual([]);
  });

  it('checks views: title, buttons, submit with inputs, private_metadata, and their blocks', () => {
    const input = { type: 'input', label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'why' } };
    expect(viewProblems({ type: 'modal', title: { type: 'plain_text', text: 'Looker access' }, submit: { type: 'plain_text', text: 'Send' }, blocks: [input] })).toEqual([]);
    expect(viewProblems({ type: 'modal', title: { type: 'plain_text', text: 'x'.repeat(25) }, private_metadata: 'x'.repeat(3001), blocks: [input, section('')] }).map((p) => p.pointer)).toEqual([
      '/view/title', '/view/submit', '/view/private_metadata', '/view/blocks/1/text',
    ]);
    expect(viewProblems({ type: 'home', blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })) })).toEqual([]);
  });
});
