//! The store contract against redb, and what only an embedded, one-owner store does.

use std::sync::Arc;
use std::time::Duration;

use hookguard::inbox::{
    AttemptOutcome, DEFAULT_MAX_BYTES, InboxStore, RECORD_OVERHEAD, RedbStore, State, StoreError,
};

use crate::contract;
use crate::{TempFile, clock, open, open_redb};
use hookguard::inbox::WallClock as _;

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let file = TempFile::new(stringify!($name));
            let clock = clock();
            contract::$name(open(&file, &clock, DEFAULT_MAX_BYTES), clock).await;
        }
    )*};
}

contract_tests!(
    insert_dedupe_and_conflict,
    racing_duplicates_make_one_record,
    stale_tokens_change_nothing,
    retries_come_due_in_order,
    pause_holds_and_resume_releases,
    replay_keeps_history,
    prune_then_compact,
    list_filters_and_pages,
);

#[tokio::test]
async fn full_store_refuses_new_receipts() {
    let file = TempFile::new("full");
    let clock = clock();
    // Room for a handful of 1 KiB deliveries.
    let max_bytes = 5 * (1024 + 300 + RECORD_OVERHEAD);
    let store = open(&file, &clock, max_bytes);
    contract::full_store_refuses_new_receipts(store, clock, max_bytes).await;
}

#[tokio::test]
async fn payload_is_byte_exact_after_reopen() {
    let file = TempFile::new("bytes");
    let clock = clock();
    let store = open(&file, &clock, DEFAULT_MAX_BYTES);
    let again = clock.clone();
    let reopen = |store: Arc<dyn InboxStore>| {
        drop(store);
        open(&file, &again, DEFAULT_MAX_BYTES)
    };
    contract::payload_is_byte_exact_after_reopen(store, clock, reopen).await;
}

/// One process owns the file: the leases found at open belong to a process that is gone,
/// and are taken back at once (no waiting for them to expire), their attempts recorded as
/// interrupted.
#[tokio::test]
async fn leases_of_a_stopped_process_are_taken_back_at_open() {
    let file = TempFile::new("recover");
    let clock = clock();
    let store = open(&file, &clock, DEFAULT_MAX_BYTES);
    for n in 0..2 {
        let r = contract::receipt("orders", &format!("msg_k{n}"), b"{}");
        store.insert(vec![r], clock.now()).await.unwrap();
    }
    let lease = Duration::from_secs(600);
    let leased = store.lease("orders", 10, lease, clock.now()).await.unwrap();
    assert_eq!(leased.len(), 2);
    drop(store);
    let reopened = open_redb(&file, &clock, DEFAULT_MAX_BYTES);
    assert_eq!(reopened.recovered_leases(), 2);
    let store: Arc<dyn InboxStore> = Arc::new(reopened);
    let again = store.lease("orders", 10, lease, clock.now()).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|l| l.attempt() == 2));
    let stale = leased[0].token();
    let now = clock.now();
    let finish = hookguard::inbox::Finish::succeeded(now, Duration::ZERO);
    assert!(!store.complete(leased[0].id(), stale, finish).await.unwrap());
    let detail = store.get(again[0].id(), false).await.unwrap().unwrap();
    assert_eq!(detail.summary().state(), State::Processing);
    assert_eq!(detail.attempts()[0].outcome(), AttemptOutcome::Interrupted);
    drop(store);
    assert_eq!(
        open_redb(&file, &clock, DEFAULT_MAX_BYTES).recovered_leases(),
        2
    );
}

#[tokio::test]
async fn a_file_has_one_owner_at_a_time() {
    let file = TempFile::new("owner");
    let first = RedbStore::open(file.path()).unwrap();
    assert!(matches!(
        RedbStore::open(file.path()),
        Err(StoreError::InUse)
    ));
    drop(first);
    RedbStore::open(file.path()).unwrap();
}

/// Counts stay equal to the records per state after a mix of operations and a reopen.
#[tokio::test]
async fn counts_match_the_records_after_reopen() {
    let file = TempFile::new("counts");
    let clock = clock();
    let store = open(&file, &clock, DEFAULT_MAX_BYTES);
    contract::retries_come_due_in_order(store.clone(), clock.clone()).await;
    let expected = store.counts().await.unwrap();
    drop(store);
    let store = open(&file, &clock, DEFAULT_MAX_BYTES);
    let counts = store.counts().await.unwrap();
    // The leases were taken back at open: processing became pending.
    assert_eq!(counts.get(State::Processing), 0);
    assert_eq!(
        counts.get(State::Pending),
        expected.get(State::Pending) + expected.get(State::Processing)
    );
    for state in State::ALL {
        let page = store
            .list(hookguard::inbox::ListQuery::new().state(state).limit(1000))
            .await
            .unwrap();
        assert_eq!(page.items().len() as u64, counts.get(state), "{state}");
    }
    assert_eq!(counts.bytes(), expected.bytes());
}
