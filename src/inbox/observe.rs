//! The inbox's metrics (features `inbox` + `metrics`), through the
//! [`metrics`](https://docs.rs/metrics) facade: whatever recorder the application installed
//! (Prometheus exporter, StatsD, …) receives them. Without the `metrics` feature every
//! function here is empty.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `hookguard_inbox_receipts_total` | counter | `route`, `provider`, `result` | receipts by answer: `committed`, `duplicate`, `conflict`, `full`, `timeout`, `unavailable` |
//! | `hookguard_inbox_commit_seconds` | histogram | `route` | from the receipt to its durable answer (committed or duplicate) |
//! | `hookguard_inbox_attempts_total` | counter | `route`, `provider`, `outcome` | attempts by [`AttemptOutcome`] (`succeeded`, `failed`, `rejected`, `timed_out`, `panicked`, `expired`) |
//! | `hookguard_inbox_handler_seconds` | histogram | `route` | how long the handler ran (every attempt that ran it) |
//! | `hookguard_inbox_outcomes_total` | counter | `route`, `provider`, `outcome` | what an attempt led to: `done`, `retry`, `dead`, `lost` (lease lost), `store_error` |
//! | `hookguard_inbox_dead_total` | counter | `route`, `provider`, `reason` | deliveries gone dead, by [`DeadReason`] |
//! | `hookguard_inbox_deliveries` | gauge | `state` | deliveries per state, refreshed by the worker ([`Worker::tick`](super::Worker::tick), and at most once a second by the background loop) |
//! | `hookguard_inbox_bytes` | gauge | | bytes counted against the store's capacity |
//!
//! No label holds a delivery id, a tenant or anything from the body: the label values are
//! the route names and providers the application configured, and fixed vocabularies.

use std::time::Duration;

use super::attempt::AttemptOutcome;
#[cfg(feature = "metrics")]
use super::query::Counts;
use super::state::DeadReason;
#[cfg(feature = "metrics")]
use super::state::State;

/// A receipt's answer, and how long it took.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn receipt(route: &str, provider: &str, result: &'static str, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!(
            "hookguard_inbox_receipts_total",
            "route" => route.to_owned(),
            "provider" => provider.to_owned(),
            "result" => result,
        )
        .increment(1);
        if matches!(result, "committed" | "duplicate") {
            metrics::histogram!("hookguard_inbox_commit_seconds", "route" => route.to_owned())
                .record(elapsed.as_secs_f64());
        }
    }
}

/// One attempt's end (before it is recorded).
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn attempt(route: &str, provider: &str, outcome: AttemptOutcome, latency: Duration) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!(
            "hookguard_inbox_attempts_total",
            "route" => route.to_owned(),
            "provider" => provider.to_owned(),
            "outcome" => outcome.as_str(),
        )
        .increment(1);
        if outcome != AttemptOutcome::Expired {
            metrics::histogram!("hookguard_inbox_handler_seconds", "route" => route.to_owned())
                .record(latency.as_secs_f64());
        }
    }
}

/// What an attempt led to: `done`, `retry`, `dead`, `lost`, `store_error`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn outcome(route: &str, provider: &str, outcome: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "hookguard_inbox_outcomes_total",
        "route" => route.to_owned(),
        "provider" => provider.to_owned(),
        "outcome" => outcome,
    )
    .increment(1);
}

/// A delivery went dead.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn dead(route: &str, provider: &str, reason: DeadReason) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "hookguard_inbox_dead_total",
        "route" => route.to_owned(),
        "provider" => provider.to_owned(),
        "reason" => reason.as_str(),
    )
    .increment(1);
}

/// Sets the per-state gauges from `counts`.
#[cfg(feature = "metrics")]
pub(crate) fn gauges(counts: &Counts) {
    for state in State::ALL {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^53
        metrics::gauge!("hookguard_inbox_deliveries", "state" => state.as_str())
            .set(counts.get(state) as f64);
    }
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!("hookguard_inbox_bytes").set(counts.bytes() as f64);
}
