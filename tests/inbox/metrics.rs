//! The inbox's metrics (feature `metrics`): an in-test `metrics::Recorder`, installed for
//! this thread only, sees receipts, attempts, outcomes, dead letters, both latency
//! histograms and the per-state gauges move.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hookguard::inbox::{HandlerError, InboxDelivery, InboxError};
use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

use crate::contract::receipt;
use crate::fixture;

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

/// Every metric by `name{label=value,…}` (labels in the order given).
#[derive(Default)]
struct Capture {
    counters: Mutex<HashMap<String, Arc<AtomicU64>>>,
    gauges: Mutex<HashMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<HashMap<String, Arc<Samples>>>,
}

fn key_text(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut map = self.counters.lock().unwrap();
        Counter::from_arc(map.entry(key_text(key)).or_default().clone())
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        let mut map = self.gauges.lock().unwrap();
        Gauge::from_arc(map.entry(key_text(key)).or_default().clone())
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut map = self.histograms.lock().unwrap();
        Histogram::from_arc(map.entry(key_text(key)).or_default().clone())
    }
}

impl Capture {
    fn counter(&self, key: &str) -> u64 {
        let map = self.counters.lock().unwrap();
        map.get(key).map_or(0, |c| c.load(Ordering::SeqCst))
    }
    fn gauge(&self, key: &str) -> Option<f64> {
        let map = self.gauges.lock().unwrap();
        map.get(key)
            .map(|g| f64::from_bits(g.load(Ordering::SeqCst)))
    }
    fn samples(&self, key: &str) -> Vec<f64> {
        let map = self.histograms.lock().unwrap();
        map.get(key)
            .map_or(Vec::new(), |h| h.0.lock().unwrap().clone())
    }
}

async fn handler(d: InboxDelivery) -> Result<(), HandlerError> {
    let body = String::from_utf8_lossy(d.body()).into_owned();
    if body.contains("fail") {
        Err(HandlerError::permanent("refused"))
    } else if body.contains("retry") {
        Err(HandlerError::retryable("upstream down"))
    } else {
        Ok(())
    }
}

#[test]
fn receipts_attempts_outcomes_latencies_and_gauges_are_recorded() {
    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The recorder is this thread's: the current-thread runtime runs the receipts, the
    // worker and its handlers here, and other tests in this binary do not reach it.
    metrics::with_local_recorder(&capture, || {
        runtime.block_on(async {
            let f = fixture("metrics");
            let worker = f.inbox.worker().route("metered", handler).build().unwrap();
            for (id, body) in [("m_ok", "ok"), ("m_retry", "retry"), ("m_fail", "fail")] {
                let r = receipt("metered", id, format!(r#"{{"do":"{body}"}}"#).as_bytes());
                f.inbox.receive(r).await.unwrap();
            }
            let again = receipt("metered", "m_ok", br#"{"do":"ok"}"#);
            f.inbox.receive(again).await.unwrap();
            let conflict = receipt("metered", "m_ok", br#"{"do":"other"}"#);
            assert!(matches!(
                f.inbox.receive(conflict).await,
                Err(InboxError::Conflict { .. })
            ));
            worker.tick().await.unwrap();
        });
    });

    let labels = "route=metered,provider=standard-webhooks";
    let receipts = |result: &str| {
        capture.counter(&format!(
            "hookguard_inbox_receipts_total{{{labels},result={result}}}"
        ))
    };
    assert_eq!(
        (
            receipts("committed"),
            receipts("duplicate"),
            receipts("conflict")
        ),
        (3, 1, 1)
    );
    assert_eq!(
        capture
            .samples("hookguard_inbox_commit_seconds{route=metered}")
            .len(),
        4
    );
    let attempts = |outcome: &str| {
        capture.counter(&format!(
            "hookguard_inbox_attempts_total{{{labels},outcome={outcome}}}"
        ))
    };
    assert_eq!(
        (
            attempts("succeeded"),
            attempts("failed"),
            attempts("rejected")
        ),
        (1, 1, 1)
    );
    let handler_latencies = capture.samples("hookguard_inbox_handler_seconds{route=metered}");
    assert_eq!(handler_latencies.len(), 3);
    assert!(handler_latencies.iter().all(|s| *s >= 0.0 && *s < 30.0));
    let outcomes = |outcome: &str| {
        capture.counter(&format!(
            "hookguard_inbox_outcomes_total{{{labels},outcome={outcome}}}"
        ))
    };
    assert_eq!(
        (outcomes("done"), outcomes("retry"), outcomes("dead")),
        (1, 1, 1)
    );
    assert_eq!(
        capture.counter(&format!(
            "hookguard_inbox_dead_total{{{labels},reason=permanent}}"
        )),
        1
    );
    let gauge =
        |state: &str| capture.gauge(&format!("hookguard_inbox_deliveries{{state={state}}}"));
    assert_eq!(
        (
            gauge("pending"),
            gauge("done"),
            gauge("dead"),
            gauge("held")
        ),
        (Some(1.0), Some(1.0), Some(1.0), Some(0.0))
    );
    assert!(capture.gauge("hookguard_inbox_bytes{}").unwrap() > 0.0);
}
