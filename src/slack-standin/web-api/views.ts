/** views.*: modals opened with a trigger, pushed, updated, and Home tabs published. */
import { ApiError, optStr } from '../http.js';
import type { Methods, StandinParts } from './context.js';

export function viewMethods({ ws, views }: StandinParts): Methods {
  return {
    'views.open': (a) => {
      const user = views.exchangeTrigger(a['trigger_id']);
      return { view: views.publicView(views.open(views.viewArg(a), user)) };
    },
    'views.push': (a) => {
      const user = views.exchangeTrigger(a['trigger_id']);
      return { view: views.publicView(views.push(views.viewArg(a), user)) };
    },
    'views.update': (a) => {
      const view = views.find(a);
      if (optStr(a['hash']) && a['hash'] !== view.hash) throw new ApiError('hash_conflict');
      return { view: views.publicView(views.replace(view, views.viewArg(a))) };
    },
    'views.publish': (a) => {
      const user = optStr(a['user_id']);
      if (!user || !ws.user(user)) throw new ApiError('user_not_found');
      const spec = views.viewArg(a);
      if (spec['type'] !== 'home') throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] } });
      const existing = views.homeView(user);
      if (existing && optStr(a['hash']) && a['hash'] !== existing.hash) throw new ApiError('hash_conflict');
      return { view: views.publicView(views.publish(spec, user)) };
    },
  };
}
