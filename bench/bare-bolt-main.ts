/**
 * A bare Bolt app as a process of its own (HTTP receiver, signature checks, a
 * no-op `/telemetry`): the cold-start baseline. Reads PORT,
 * SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL, as the bot does.
 */
import { App } from '@slack/bolt';

const env = process.env;
const app = new App({
  token: env.SLACK_BOT_TOKEN,
  signingSecret: env.SLACK_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: env.SLACK_API_URL },
});
app.command('/telemetry', async ({ ack }) => {
  await ack();
});
await app.start({ port: Number(env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
