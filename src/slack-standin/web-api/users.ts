/** auth.test, users.info and usergroups.users.list: who the bot is, who a user is, who is in a group. */
import { ApiError, optStr } from '../http.js';
import type { Methods, StandinParts } from './context.js';
import { DEFAULT_USER_TZ } from '../types.js';

/**
 * Slack's tz_label / tz_offset (seconds east of UTC) for a zone, as of now. A zone this runtime's ICU data does not
 * know (Slack's list and the runtime's are of different ages) is sent all the same, as Slack would: label and offset
 * as for UTC.
 */
function tzFields(tz: string): { tz_label: string; tz_offset: number } {
  if (!isZone(tz)) return { tz_label: 'Coordinated Universal Time', tz_offset: 0 };
  const part = (timeZoneName: 'long' | 'longOffset') =>
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const [, sign, hh, mm] = /GMT([+-])(\d\d):(\d\d)/.exec(part('longOffset')) ?? [];
  const offset = hh && mm ? (Number(hh) * 3600 + Number(mm) * 60) * (sign === '-' ? -1 : 1) : 0;
  return { tz_label: part('long'), tz_offset: offset };
}

function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function userMethods({ ws }: StandinParts): Methods {
  return {
    'auth.test': () => ({
      url: `https://${ws.teamDomain}.slack.com/`,
      team: ws.teamName,
      user: 'analytics-bot',
      team_id: ws.teamId,
      user_id: ws.botUserId,
      bot_id: ws.botId,
      is_enterprise_install: false,
    }),
    'usergroups.users.list': (a) => {
      const members = ws.usergroups[optStr(a['usergroup']) ?? ''];
      if (!members) throw new ApiError('no_such_subteam');
      return { users: [...members] };
    },
    'users.info': (a) => {
      const id = optStr(a['user']);
      if (id === ws.botUserId) {
        return { user: { id, team_id: ws.teamId, name: 'analytics-bot', real_name: 'analytics-bot', is_bot: true, deleted: false, profile: { bot_id: ws.botId, real_name: 'analytics-bot' } } };
      }
      const user = id ? ws.user(id) : undefined;
      if (!user) throw new ApiError('user_not_found');
      const tz = user.tz ?? DEFAULT_USER_TZ;
      // "email: … only returned if your app has the users:read.email scope" (users.info; the User object).
      const showEmail = Boolean(user.email) && ws.scopes?.has('users:read.email') !== false;
      return {
        user: {
          id: user.id, team_id: ws.teamId, name: user.name, real_name: user.realName, deleted: user.deleted ?? false,
          is_admin: user.isAdmin ?? false, is_owner: false, is_bot: false, is_restricted: false,
          tz, ...tzFields(tz),
          profile: {
            ...(showEmail ? { email: user.email } : {}), real_name: user.realName, real_name_normalized: user.realName,
            display_name: user.name, display_name_normalized: user.name, image_48: `https://example.com/avatars/${user.id}.png`,
          },
        },
      };
    },
  };
}
