/**
 * Every callback, block and action ID the app uses, in one place: the view
 * that sets an ID and the listener that reads it both import it from here.
 * State goes in `private_metadata` or a button's `value`, never in an ID.
 */
export const ActionIds = {
  /** Telemetry card: share the ephemeral card in the channel. */
  telemetryShare: 'telemetry_share',
  /** Telemetry: the user picks one of several matching customers. */
  telemetryPickCustomer: 'telemetry_pick_customer',

  // ── Looker access ──
  /** Looker request card: a Looker admin approves (value: request ID). */
  lookerAccessApprove: 'looker_access_approve',
  /** Looker request card, after the grant gave up: a Looker admin tries it again (value: request ID). */
  lookerAccessRetryGrant: 'looker_access_retry_grant',
  /** Looker request card: a Looker admin denies; opens the reason modal (value: request ID). */
  lookerAccessDeny: 'looker_access_deny',
  /** Deny modal input: the reason, sent to the requester. */
  lookerAccessDenyReason: 'looker_access_deny_reason',
  /** Looker access modal inputs. */
  lookerAccessSubject: 'looker_access_subject',
  lookerAccessEmail: 'looker_access_email',
  lookerAccessTeam: 'looker_access_team',
  lookerAccessLevel: 'looker_access_level',
  lookerAccessReason: 'looker_access_reason',
  lookerAccessDuration: 'looker_access_duration',

  // ── pipeline requests, App Home ──
  /** Pipeline request card: BizOps accept it (value: request ID). */
  pipelineRequestAccept: 'pipeline_request_accept',
  /** Pipeline request card: BizOps decline it; opens the reason modal (value: request ID). */
  pipelineRequestDecline: 'pipeline_request_decline',
  /** Pipeline request card: BizOps mark the pipeline live (value: request ID). */
  pipelineRequestLive: 'pipeline_request_live',
  /** App Home: open the pipeline request modal. */
  homeNewPipelineRequest: 'home_new_pipeline_request',
  /** App Home, under a section cut at its most: that whole list in a modal (value: `mine` or `waiting`). */
  homeShowAll: 'home_show_all',
  /** That modal: the previous or next page of the list (value: { l: list, n: page } JSON). */
  homeListPrevious: 'home_list_previous',
  homeListNext: 'home_list_next',
  /** Pipeline request modal inputs. */
  pipelineRequestSource: 'pipeline_request_source',
  pipelineRequestObjects: 'pipeline_request_objects',
  pipelineRequestDestination: 'pipeline_request_destination',
  pipelineRequestFrequency: 'pipeline_request_frequency',
  pipelineRequestOwner: 'pipeline_request_owner',
  pipelineRequestWhy: 'pipeline_request_why',
  /** Decline modal input. */
  pipelineRequestDeclineReason: 'pipeline_request_decline_reason',

  // ── saved queries, /query ──
  /** Query result: run it again, skipping the cache (value: { q, p } JSON). */
  queryRefresh: 'query_refresh',
  /** Query result: the same result as a monospaced table (value: { q, p }). */
  queryShowTable: 'query_show_table',
  /** Query result: the full result as a CSV file in the thread (value: { q, p }). */
  queryDownloadCsv: 'query_download_csv',
  /** `/query list` and "Did you mean …?": run a saved query, or open its modal when it needs values (value: { q, p } JSON). */
  queryRun: 'query_run',
  /** `/query list`: the previous or next page of the catalog (value: { s: search, n: page } JSON). */
  queryListPrevious: 'query_list_previous',
  queryListNext: 'query_list_next',
  /** Prefix of each parameter's input element in the query modal: `query_param_input_<name>`. */
  queryParamInputPrefix: 'query_param_input_',

  // ── the audit log ──
  /** `/analytics audit`: the same entries as a CSV file in the clicker's DM (value: how many). */
  auditExport: 'audit_export',

  // ── freshness alerts and reruns ──
  /** Freshness alert: rerun the source; BizOps only, checked on the server (value: source ID). */
  freshnessRerun: 'freshness_rerun',
  /** Freshness alert: snooze reminders (overflow; option value: `<source ID>:<hours>`). */
  freshnessSnooze: 'freshness_snooze',
  /** Freshness alert: someone is on it; stops reminders (value: source ID). */
  freshnessAcknowledge: 'freshness_acknowledge',
  /** Shown to non-BizOps instead of Rerun: ask BizOps in the channel (value: source ID). */
  rerunRequest: 'rerun_request',
  /** Restart a sync already running at Fivetran, behind a confirm dialog (value: source ID). */
  rerunForce: 'rerun_force',

  // ── scheduled deliveries and alerts of saved queries ──
  /** Query result: schedule this query (value: { q, p } JSON). */
  querySubscribe: 'query_subscribe',
  /** Query result: alert on this query (value: { q, p } JSON). */
  queryAlert: 'query_alert',
  /** A delivery or alert: open its controls (value: subscription ID). */
  subscriptionManage: 'subscription_manage',
  /** Previous / Next page of `/query subscriptions`. */
  subscriptionsPrevious: 'subscriptions_previous',
  subscriptionsNext: 'subscriptions_next',
  subscriptionPause: 'subscription_pause',
  subscriptionResume: 'subscription_resume',
  subscriptionDelete: 'subscription_delete',
  subscriptionEdit: 'subscription_edit',
  subscriptionRunNow: 'subscription_run_now',
  /** The subscription modal's inputs; the schedule kind redraws the modal. */
  subscriptionChannel: 'subscription_channel',
  subscriptionDm: 'subscription_dm',
  subscriptionScheduleKind: 'subscription_schedule_kind',
  subscriptionDay: 'subscription_day',
  subscriptionDate: 'subscription_date',
  subscriptionTime: 'subscription_time',
  subscriptionCron: 'subscription_cron',
  subscriptionFormat: 'subscription_format',
  alertColumn: 'alert_column',
  alertOp: 'alert_op',
  alertValue: 'alert_value',
  /** Prefix of each parameter's input: `subscription_param_<name>`. */
  subscriptionParamPrefix: 'subscription_param_',
} as const;

export const BlockIds = {
  telemetryPicker: 'telemetry_picker',

  // ── Looker access: input blocks, named so inline errors can target them ──
  lookerAccessSubject: 'looker_access_subject',
  lookerAccessEmail: 'looker_access_email',
  lookerAccessTeam: 'looker_access_team',
  lookerAccessLevel: 'looker_access_level',
  lookerAccessReason: 'looker_access_reason',
  lookerAccessDuration: 'looker_access_duration',
  lookerAccessActions: 'looker_access_actions',
  lookerAccessDenyReason: 'looker_access_deny_reason',

  // ── pipeline requests: input blocks, named so inline errors can target them ──
  pipelineRequestSource: 'pipeline_request_source',
  pipelineRequestObjects: 'pipeline_request_objects',
  pipelineRequestDestination: 'pipeline_request_destination',
  pipelineRequestFrequency: 'pipeline_request_frequency',
  pipelineRequestOwner: 'pipeline_request_owner',
  pipelineRequestWhy: 'pipeline_request_why',
  pipelineRequestDeclineReason: 'pipeline_request_decline_reason',
  pipelineRequestActions: 'pipeline_request_actions',
  /** Previous / Next of a Home list's modal. */
  homeListPages: 'home_list_pages',

  // ── saved queries ──
  /** Prefix of the query modal's input blocks: `query_param_<name>`, so inline errors target a parameter. */
  queryParamPrefix: 'query_param_',
  queryResultActions: 'query_result_actions',
  queryListPages: 'query_list_pages',

  auditActions: 'audit_actions',

  // ── freshness alerts and reruns ──
  freshnessAlertActions: 'freshness_alert_actions',
  rerunActions: 'rerun_actions',

  // ── scheduled deliveries and alerts: one input block per field, so inline errors can target them ──
  subscriptionQuery: 'subscription_query',
  subscriptionChannel: 'subscription_channel',
  subscriptionDm: 'subscription_dm',
  subscriptionScheduleKind: 'subscription_schedule_kind',
  subscriptionDay: 'subscription_day',
  subscriptionDate: 'subscription_date',
  subscriptionTime: 'subscription_time',
  subscriptionCron: 'subscription_cron',
  subscriptionFormat: 'subscription_format',
  alertColumn: 'alert_column',
  alertOp: 'alert_op',
  alertValue: 'alert_value',
  subscriptionLimit: 'subscription_limit',
  subscriptionParamPrefix: 'subscription_param_',
  subscriptionActions: 'subscription_actions',
  subscriptionsPages: 'subscriptions_pages',
} as const;

export const CallbackIds = {
  // ── Looker access ──
  /** The `/looker-access` modal. */
  lookerAccess: 'looker_access',
  /** A Looker admin's deny-with-a-reason modal. */
  lookerAccessDeny: 'looker_access_deny',
  // ── pipeline requests ──
  /** The `/pipeline request` modal (first step). */
  pipelineRequest: 'pipeline_request',
  /** Its second step: the data already syncs, continue anyway. */
  pipelineRequestConfirm: 'pipeline_request_confirm',
  /** BizOps' decline-with-a-reason modal. */
  pipelineRequestDecline: 'pipeline_request_decline',
  /** A Home list (my open requests, what waits on me) in full, a page at a time. */
  homeList: 'home_list',
  // ── saved queries ──
  /** The modal asking for a saved query's parameters. */
  queryParams: 'query_params',
  /** The modal that schedules a delivery or an alert of a saved query (new or edited). */
  subscription: 'subscription',
} as const;

/** The slash commands the app registers; manifest.yml must list exactly these. */
export const Commands = {
  telemetry: '/telemetry',
  // ── Looker access ──
  lookerAccess: '/looker-access',
  // ── `/pipeline request | status | rerun` (one router), and the audit log ──
  pipeline: '/pipeline',
  analytics: '/analytics',
  // ── saved queries ──
  query: '/query',
} as const;

/**
 * A public or private channel's ID (C…, G…), safe to write as `<#C…>`. A stored
 * or forged value that is not one is left out of messages rather than shown.
 */
export function isChannelId(id: unknown): id is string {
  return typeof id === 'string' && /^[CG][A-Z0-9]{2,}$/.test(id);
}

/** A person's user ID (U…, or W… on Enterprise Grid), as Slack sends it. */
export function isUserId(id: unknown): id is string {
  return typeof id === 'string' && /^[UW][A-Z0-9]{2,30}$/.test(id);
}
