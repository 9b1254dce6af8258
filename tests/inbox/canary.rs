//! The activity log, the dead letters and the logs never hold the body or a secret: canary
//! strings in the body and in the handler's errors (its message and its source) are looked
//! for in everything the inbox records, prints or logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookguard::inbox::{HandlerError, InboxDelivery, ListQuery, RetrySchedule};

use crate::contract::receipt;
use crate::fixture;

const BODY_CANARY: &str = "CANARYbody-4242-4242-4242-4242";
const SECRET_CANARY: &str = "CANARYsecret-sk_live_51H";

#[derive(Debug)]
struct UpstreamError(String);

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "upstream refused: {}", self.0)
    }
}

impl std::error::Error for UpstreamError {}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn leaks(text: &str) -> Option<&'static str> {
    [BODY_CANARY, SECRET_CANARY, "CANARY"]
        .into_iter()
        .find(|canary| text.contains(canary))
}

/// Handler for route `echo`: quotes the body in its message and keeps a secret in the
/// source. Route `question`: `?` on an error whose text holds a secret.
async fn echo(d: InboxDelivery) -> Result<(), HandlerError> {
    let body = String::from_utf8_lossy(d.body()).into_owned();
    let source = UpstreamError(format!("api key {SECRET_CANARY}"));
    Err(HandlerError::retryable(format!("could not charge {body}")).with_source(source))
}

async fn question(_: InboxDelivery) -> Result<(), HandlerError> {
    let upstream: Result<(), UpstreamError> = Err(UpstreamError(format!("token={SECRET_CANARY}")));
    upstream?;
    Ok(())
}

#[tokio::test]
async fn canaries_never_reach_the_activity_log_dead_letters_or_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let f = fixture("canary");
    let printed = Arc::new(Mutex::new(String::new()));
    let dead_log = printed.clone();
    let worker = f
        .inbox
        .worker()
        .route("echo", echo)
        .route("question", question)
        .schedule(RetrySchedule::new([Duration::from_secs(1)]).unwrap())
        .on_dead(move |letter| dead_log.lock().unwrap().push_str(&format!("{letter:?}")))
        .build()
        .unwrap();
    let body = format!(r#"{{"card":"{BODY_CANARY}","amount":1200}}"#);
    let mut ids = Vec::new();
    for route in ["echo", "question"] {
        let r = receipt(route, &format!("msg_{route}"), body.as_bytes());
        ids.push(f.inbox.receive(r).await.unwrap().id());
    }
    worker.tick().await.unwrap();
    f.clock.advance(Duration::from_secs(2));
    assert_eq!(worker.tick().await.unwrap().dead, 2);

    let mut recorded = String::new();
    for id in &ids {
        let detail = f.inbox.show(*id).await.unwrap();
        recorded += &format!("{detail:?}");
        for attempt in detail.attempts() {
            recorded += attempt.error().unwrap_or_default();
        }
    }
    let list = f.inbox.list(ListQuery::new()).await.unwrap();
    recorded += &format!("{list:?}");
    let echo_error = f.inbox.show(ids[0]).await.unwrap().attempts()[0]
        .error()
        .map(str::to_owned);
    assert_eq!(echo_error.as_deref(), Some("could not charge [redacted]"));
    let question_error = f
        .inbox
        .show(ids[1])
        .await
        .unwrap()
        .summary()
        .last_error()
        .map(str::to_owned);
    assert!(question_error.unwrap().contains("UpstreamError"));
    let with_payload = format!("{:?}", f.inbox.show_with_payload(ids[0]).await.unwrap());
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("inbox: delivery is dead"), "{logs}");
    for (what, text) in [
        ("activity log", recorded),
        ("dead letters", printed.lock().unwrap().clone()),
        ("logs", logs),
        ("payload Debug", with_payload),
    ] {
        assert_eq!(leaks(&text), None, "{what} leaks: {text}");
    }
}

#[test]
fn handler_errors_print_no_source() {
    let error = HandlerError::retryable("billing API down")
        .with_source(UpstreamError(SECRET_CANARY.into()));
    let printed = format!("{error:?} {error}");
    assert_eq!(leaks(&printed), None, "{printed}");
    assert!(error.source().is_some());
}
