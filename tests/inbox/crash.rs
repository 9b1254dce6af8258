//! Conformance flaw "ack before commit", with a real crash: a child process acknowledges
//! receipts and aborts (no destructor, no clean close) while other receipts are still in
//! flight; every receipt it acknowledged is in the file afterwards, byte for byte.

use std::io::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hookguard::inbox::{Inbox, Received};

use crate::TempFile;
use crate::contract::receipt;

const CHILD: &str = "HOOKGUARD_INBOX_ABORT_CHILD";
const SENDERS: usize = 64;
const ACKS_BEFORE_ABORT: usize = 40;

fn body(n: usize) -> Vec<u8> {
    format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(n * 7)).into_bytes()
}

/// The child: does nothing unless started by the test below.
#[test]
fn abort_child() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let inbox = Inbox::open(&path).unwrap();
        let acked = Arc::new(AtomicUsize::new(0));
        let mut senders = tokio::task::JoinSet::new();
        for n in 0..SENDERS {
            let (inbox, acked) = (inbox.clone(), acked.clone());
            senders.spawn(async move {
                let r = receipt("orders", &format!("msg_{n}"), &body(n));
                if let Ok(Received::Committed(_)) = inbox.receive(r).await {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "acked msg_{n} {n}").unwrap();
                    out.flush().unwrap();
                    if acked.fetch_add(1, Ordering::SeqCst) + 1 == ACKS_BEFORE_ABORT {
                        std::process::abort();
                    }
                }
            });
        }
        while senders.join_next().await.is_some() {}
        std::process::abort();
    });
}

#[test]
fn acknowledged_receipts_survive_an_abort() {
    let file = TempFile::new("abort");
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::abort_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, file.path())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child must abort");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let acked: Vec<(String, usize)> = stdout
        .lines()
        // libtest's "test … ... " may share the first line.
        .filter_map(|line| line.find("acked ").map(|at| &line[at + "acked ".len()..]))
        .map(|rest| {
            let (id, n) = rest.split_once(' ').unwrap();
            (id.to_owned(), n.parse().unwrap())
        })
        .collect();
    assert!(acked.len() >= ACKS_BEFORE_ABORT, "{stdout}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let inbox = Inbox::open(file.path()).unwrap();
        for (id, n) in &acked {
            let found = inbox.find(id).await.unwrap();
            assert_eq!(found.len(), 1, "{id} acknowledged but lost");
            let detail = inbox.show_with_payload(found[0].id()).await.unwrap();
            assert_eq!(&detail.payload().unwrap().body()[..], &body(*n)[..]);
        }
    });
}
