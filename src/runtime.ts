/**
 * The bot's insides without Slack's HTTP side: the use cases, the job runner
 * with every job kind registered (the use cases' own, and the Slack
 * adapter's notices and query deliveries), and the Directory. `createBot`
 * puts Bolt in front of it; tests and benchmarks use it directly.
 */
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createServices, type Adapters, type Services } from './services/index.js';
import { JobRunner } from './jobs/runner.js';
import { createSlackClient } from './slack/clients.js';
import { SlackDirectory } from './slack/directory.js';
import { SlackGateway, type PostPace } from './slack/gateway.js';
import { noticeJobKinds } from './slack/notices.js';
import { queryDeliveryJobKinds } from './slack/query-delivery.js';
import { subscriptionJobKinds } from './slack/subscription-run.js';
import type { Directory } from './ports/directory.js';

export interface Runtime {
  services: Services;
  jobs: JobRunner;
  directory: Directory;
  gateway: SlackGateway;
}

export interface RuntimeOptions {
  /** The runner's clock (tests move it). */
  now?: () => Date;
  /** Who this runner is (tests name replicas). */
  holder?: string;
  /** How fast background posts may go per channel (Slack's pace unless a test says otherwise). */
  postPace?: PostPace;
}

export async function createRuntime(config: Config, logger: Logger, adapters: Adapters, options: RuntimeOptions = {}): Promise<Runtime> {
  const jobs = new JobRunner({
    store: adapters.store,
    logger,
    leaseMs: config.jobs.leaseMs,
    concurrency: config.jobs.concurrency,
    ...(options.now ? { now: options.now } : {}),
    ...(options.holder ? { holder: options.holder } : {}),
  });
  const directory = new SlackDirectory(createSlackClient(config, logger, 'interactive'), logger);
  const services = await createServices(config, logger, adapters, { directory, kick: () => jobs.kick(), ...(options.now ? { now: options.now } : {}) });
  const gateway = new SlackGateway(createSlackClient(config, logger, 'background'), logger.child({ component: 'slack' }), options.now ? () => options.now!().getTime() : Date.now, options.postPace);
  const kinds = {
    ...services.jobKinds(),
    ...noticeJobKinds({
      gateway, lookerAccess: services.lookerAccess, pipelineRequests: services.pipelineRequests, freshness: services.freshness, subscriptions: services.subscriptions,
      queryTitle: (name) => services.queries.catalog.get(name)?.title ?? name, logger, ...(options.now ? { now: options.now } : {}),
    }),
    ...queryDeliveryJobKinds({ queries: services.queries, gateway, logger: logger.child({ feature: 'query' }) }),
    ...subscriptionJobKinds({ subscriptions: services.subscriptions, queries: services.queries, gateway, logger: logger.child({ feature: 'subscriptions' }) }),
  };
  for (const [kind, spec] of Object.entries(kinds)) jobs.register(kind, spec);
  return { services, jobs, directory, gateway };
}
