//! The durable inbox (feature `inbox`): the store contract against redb, the receipt path,
//! the worker driven by a manual wall clock (no test sleeps through a delay), and the
//! activity log's canaries. Every store is a real redb file in the temp dir, fsync'd.
#![cfg(feature = "inbox")]

#[path = "support/inbox_contract.rs"]
mod contract;

#[cfg(feature = "axum")]
#[path = "inbox/admin_http.rs"]
mod admin_http;
#[path = "inbox/canary.rs"]
mod canary;
#[path = "inbox/crash.rs"]
mod crash;
#[cfg(feature = "metrics")]
#[path = "inbox/metrics.rs"]
mod metrics;
#[path = "inbox/receive.rs"]
mod receive;
#[path = "inbox/store.rs"]
mod store;
#[path = "inbox/worker.rs"]
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hookguard::inbox::{
    DEFAULT_MAX_BYTES, Inbox, InboxStore, ManualWallClock, RedbStore, Timestamp,
};

/// A file in the temp dir, unique to this process and call, removed on drop.
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let file = format!("hookguard-inbox-{}-{n}-{name}.redb", std::process::id());
        let path = std::env::temp_dir().join(file);
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A manual wall clock at a fixed, realistic time (2026-01-01).
pub fn clock() -> ManualWallClock {
    ManualWallClock::new(Timestamp::from_unix_millis(1_767_225_600_000))
}

/// A redb store on `file`, its clock `clock`.
pub fn open(file: &TempFile, clock: &ManualWallClock, max_bytes: u64) -> Arc<dyn InboxStore> {
    Arc::new(open_redb(file, clock, max_bytes))
}

pub fn open_redb(file: &TempFile, clock: &ManualWallClock, max_bytes: u64) -> RedbStore {
    RedbStore::builder(file.path())
        .max_bytes(max_bytes)
        .clock(Arc::new(clock.clone()))
        .open()
        .unwrap()
}

/// An inbox on a fresh file, with the manual clock.
pub struct Fixture {
    pub file: TempFile,
    pub clock: ManualWallClock,
    pub inbox: Inbox,
}

pub fn fixture(name: &str) -> Fixture {
    let file = TempFile::new(name);
    let clock = clock();
    let inbox = inbox_on(&file, &clock);
    Fixture { file, clock, inbox }
}

pub fn inbox_on(file: &TempFile, clock: &ManualWallClock) -> Inbox {
    Inbox::builder_shared(open(file, clock, DEFAULT_MAX_BYTES))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}
