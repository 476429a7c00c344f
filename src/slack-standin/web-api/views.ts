/** views.*: modals opened with a trigger, pushed, updated, and Home tabs published. */
import { ApiError, optStr } from '../http.js';
import type { Methods, StandinParts } from './context.js';

/** views.open and views.push take a modal; a Home tab is published (views.publish). */
function modalArg(views: StandinParts['views'], a: Parameters<StandinParts['views']['viewArg']>[0]) {
  const spec = views.viewArg(a);
  if (spec['type'] !== 'modal') throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] must be modal [json-pointer:/view/type]'] } });
  return spec;
}

export function viewMethods({ ws, views }: StandinParts): Methods {
  return {
    'views.open': (a) => {
      const { userId } = views.exchangeTrigger(a['trigger_id']);
      return { view: views.publicView(views.open(modalArg(views, a), userId)) };
    },
    'views.push': (a) => {
      const trigger = views.exchangeTrigger(a['trigger_id']);
      return { view: views.publicView(views.pushFrom(modalArg(views, a), trigger)) };
    },
    'views.update': (a) => {
      const view = views.find(a);
      if (optStr(a['hash']) && a['hash'] !== view.hash) throw new ApiError('hash_conflict');
      return { view: views.publicView(views.replace(view, views.viewArg(a))) };
    },
    'views.publish': (a) => {
      const user = optStr(a['user_id']);
      // As views.publish's reference shows it: a user_id Slack does not know is invalid_arguments, naming the argument.
      if (!user || !ws.user(user)) throw new ApiError('invalid_arguments', { response_metadata: { messages: ['invalid `user_id`'] } });
      const spec = views.viewArg(a);
      if (spec['type'] !== 'home') throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] } });
      const existing = views.homeView(user);
      if (existing && optStr(a['hash']) && a['hash'] !== existing.hash) throw new ApiError('hash_conflict');
      return { view: views.publicView(views.publish(spec, user)) };
    },
  };
}
