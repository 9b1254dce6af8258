//! Adapter tests over real loopback HTTP, one binary: the scenario table on axum and actix,
//! replay races and failure repair, Redis outages, provider handshakes, observe-only mode,
//! and the example receivers as processes. One module per concern.
//!
//! The tests of this binary run concurrently in one process, so what is process-wide is set
//! up once, here: the log capture (the global `tracing` subscriber) and the panic hook.
#![cfg(feature = "axum")]

#[path = "../support/apps.rs"]
mod apps;
#[cfg(feature = "redis")]
#[path = "../support/redis.rs"]
mod redis_support;
#[path = "../support/scenarios.rs"]
mod scenarios;

mod actix_scenarios;
mod adapter_redis;
mod adapter_replay;
mod axum_scenarios;
mod handshakes;
mod inbox_routes;
mod observe_only;
mod receivers;

use std::sync::{Arc, Mutex, Once, OnceLock};

/// Everything logged in this process since the first [`capture_logs`].
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The log text so far. It holds the lines of every test of this binary that ran
    /// meanwhile, so a test looks for its own lines (its delivery ids), not just any.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The one log capture of this binary. Server tasks run on worker threads, so the capture must
/// be the global subscriber, and a process has one: every test that reads logs shares it.
pub fn capture_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

/// Keeps the test handlers' deliberate panics (`"test handler panics"`) out of the output; any
/// other panic is still printed. The hook is process-wide: installed once, by whichever test
/// asks first.
pub fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.to_string().contains("test handler panics") {
                default(info);
            }
        }));
    });
}
