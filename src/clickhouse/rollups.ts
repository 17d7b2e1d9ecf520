/**
 * SparkPost's counters from the per-minute rollup (migrations/004): merged uniqExact states, so any range of whole
 * minutes gives the same figures as the raw events table, replays counted once.
 */
const FINALS = "('job_accepted', 'split_completed', 'job_failed', 'shaping_adjusted')";
const ev = (cond: string) => `uniqExactMergeIf(events, ${cond})`;
const msg = (cond: string) => `uniqExactMergeIf(messages, ${cond})`;

/** Each counter of `COUNTERS` (metrics.ts) as an expression over `rollup_minute`. */
export const ROLLUP_COUNTERS: Readonly<Record<string, string>> = {
  count_injected: ev("type = 'injected'"),
  count_targeted: ev("type IN ('injected', 'invalid_recipient')"),
  count_sent: ev("type IN ('delivered', 'bounced')"),
  count_accepted: ev("type = 'delivered'"),
  count_delivered: ev("type = 'delivered'"),
  count_delivered_first: ev("type = 'delivered' AND first_attempt = 1"),
  count_delivered_subsequent: ev("type = 'delivered' AND first_attempt = 0"),
  count_delayed: ev("type = 'deferred'"),
  count_bounce: ev("type IN ('bounced', 'expired', 'out_of_band')"),
  count_inband_bounce: ev("type IN ('bounced', 'expired')"),
  count_outofband_bounce: ev("type = 'out_of_band'"),
  count_hard_bounce: ev("type IN ('bounced', 'out_of_band') AND bounce_category = 'hard'"),
  count_soft_bounce: ev("type IN ('bounced', 'expired') AND bounce_category IN ('soft', '')"),
  count_block_bounce: ev("type = 'bounced' AND bounce_category = 'block'"),
  count_admin_bounce: ev("type = 'bounced' AND bounce_category = 'admin'"),
  count_undetermined_bounce: ev("type = 'bounced' AND bounce_category = 'undetermined'"),
  count_rejected: ev("type IN ('policy_rejected', 'render_failed', 'failed', 'invalid_recipient')"),
  count_policy_rejection: ev("type = 'policy_rejected'"),
  count_generation_failed: ev("type IN ('render_failed', 'failed')"),
  count_generation_rejection: ev("type = 'invalid_recipient'"),
  count_timed_out: ev("type = 'expired'"),
  count_spam_complaint: ev("type IN ('spam_complaint', 'complaint')"),
  count_unsubscribe: ev("type IN ('list_unsubscribe', 'link_unsubscribe', 'unsubscribed')"),
  count_clicked: ev("type IN ('click', 'clicked')"),
  count_unique_clicked: msg("type IN ('click', 'clicked')"),
  count_rendered: ev("type IN ('open', 'opened')"),
  count_unique_rendered: msg("type IN ('open', 'opened')"),
  count_initial_rendered: ev("type = 'initial_open'"),
  count_unique_initial_rendered: msg("type = 'initial_open'"),
  count_human_rendered: ev("type = 'open' AND machine = 0"),
  count_machine_rendered: ev("type = 'open' AND machine = 1"),
  count_human_clicked: ev("type = 'click' AND machine = 0"),
  count_machine_clicked: ev("type = 'click' AND machine = 1"),
  count_unique_human_clicked: msg("type = 'click' AND machine = 0"),
  count_cancelled: ev("type = 'cancelled'"),
  total_delivery_time_first: "sumMergeIf(latency_sum, type = 'delivered' AND first_attempt = 1)",
};

/** Event types the counters never read. */
export const NOT_COUNTED = FINALS;
