//! The admin router (`hookguard::axum::inbox_admin`) over real loopback HTTP, served by
//! `hookguard::axum::serve`, against a real redb file: the bearer token on every endpoint,
//! list / show / replay / replay-dead / pause / resume / counts, and the body only when asked.

use std::net::SocketAddr;
use std::time::Duration;

use hookguard::axum::{AdminConfigError, inbox_admin};
use hookguard::inbox::{HandlerError, InboxDelivery, State};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::contract::receipt;
use crate::fixture;

const TOKEN: &str = "admin-token-7f3a9c";
const BODY_CANARY: &str = "CANARYadminbody-5151";

/// Sends one request (`connection: close`) and answers the status and the body.
async fn call(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("authorization: {t}\r\n"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: admin\r\n{auth}content-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head[9..12].parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line + 2..line + 2 + size]);
        raw = &raw[line + 4 + size..];
    }
}

async fn json(addr: SocketAddr, method: &str, path: &str) -> (u16, Value) {
    let (status, body) = call(addr, method, path, Some(&format!("Bearer {TOKEN}"))).await;
    let value = serde_json::from_slice(&body).unwrap_or_else(|_| {
        panic!(
            "{method} {path}: not JSON: {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, value)
}

async fn fail(d: InboxDelivery) -> Result<(), HandlerError> {
    if d.body().windows(4).any(|w| w == b"fail") {
        return Err(HandlerError::permanent("refused by the test"));
    }
    Ok(())
}

#[test]
fn an_empty_token_is_refused() {
    let f = fixture("admin-empty");
    assert_eq!(
        inbox_admin(f.inbox.clone(), "").err(),
        Some(AdminConfigError::EmptyToken)
    );
}

#[tokio::test]
async fn admin_api_over_loopback_http() {
    // A subscriber interested in every level on this thread: the log callsites this test
    // reaches first (a dead delivery's warning) must not be cached as uninteresting while
    // the canary test, on another thread, installs its capturing subscriber.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::sink)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let f = fixture("admin-http");
    let worker = f.inbox.worker().route("billing", fail).build().unwrap();
    let ok_body = format!(r#"{{"card":"{BODY_CANARY}"}}"#);
    let ok = f
        .inbox
        .receive(receipt("billing", "msg_ok", ok_body.as_bytes()))
        .await
        .unwrap()
        .id();
    let dead = f
        .inbox
        .receive(receipt("billing", "msg_dead", br#"{"fail":true}"#))
        .await
        .unwrap()
        .id();
    worker.tick().await.unwrap();
    assert_eq!(
        f.inbox.show(dead).await.unwrap().summary().state(),
        State::Dead
    );

    let router = inbox_admin(f.inbox.clone(), TOKEN).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = hookguard::axum::serve(listener, router);
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.into_future());

    // Auth: every endpoint, missing or wrong token → bare 401.
    let endpoints = [
        ("GET", "/deliveries".to_owned()),
        ("GET", format!("/deliveries/{ok}")),
        ("GET", format!("/deliveries/{ok}?body=true")),
        ("POST", format!("/deliveries/{dead}/replay")),
        ("POST", "/replay-dead?dry_run=true".to_owned()),
        ("POST", "/routes/billing/pause".to_owned()),
        ("POST", "/routes/billing/resume".to_owned()),
        ("GET", "/routes/paused".to_owned()),
        ("GET", "/counts".to_owned()),
        ("GET", "/by-delivery-id/msg_ok".to_owned()),
        ("GET", "/nothing-here".to_owned()),
    ];
    let wrong = [
        None,
        Some("Bearer wrong-token-xxxxxxxx".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some("Bearer ".to_owned()),
    ];
    for (method, path) in &endpoints {
        for token in &wrong {
            let (status, body) = call(addr, method, path, token.as_deref()).await;
            assert_eq!(
                (status, body.len()),
                (401, 0),
                "{method} {path} with {token:?}"
            );
        }
    }
    // Nothing changed under the refused calls.
    assert_eq!(
        f.inbox.show(dead).await.unwrap().summary().state(),
        State::Dead
    );
    assert!(f.inbox.paused_routes().await.unwrap().is_empty());
    // The scheme name is case-insensitive.
    let (status, _) = call(addr, "GET", "/counts", Some(&format!("bearer {TOKEN}"))).await;
    assert_eq!(status, 200);

    // Counts.
    let (status, counts) = json(addr, "GET", "/counts").await;
    assert_eq!(status, 200);
    assert_eq!(counts["states"]["done"], 1);
    assert_eq!(counts["states"]["dead"], 1);
    assert_eq!(counts["total"], 2);

    // List: newest first, filters, pagination.
    let (status, page) = json(addr, "GET", "/deliveries").await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], dead.to_string());
    assert_eq!(items[0]["delivery_id"], "msg_dead");
    assert_eq!(items[0]["state"], "dead");
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["dead_reason"], "permanent");
    assert_eq!(items[1]["state"], "done");
    assert!(page["next"].is_null());
    let (_, dead_only) = json(addr, "GET", "/deliveries?state=dead&route=billing").await;
    assert_eq!(dead_only["items"].as_array().unwrap().len(), 1);
    let (_, none) = json(addr, "GET", "/deliveries?provider=github").await;
    assert!(none["items"].as_array().unwrap().is_empty());
    let (_, first) = json(addr, "GET", "/deliveries?limit=1").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next"].as_str().expect("a next cursor").to_owned();
    let (_, second) = json(addr, "GET", &format!("/deliveries?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["id"], ok.to_string());
    for bad in [
        "state=gone",
        "limit=x",
        "cursor=-1",
        "colour=red",
        "state=dead&state=done",
    ] {
        let (status, _) = json(addr, "GET", &format!("/deliveries?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }

    // Find by the provider's delivery id.
    let (status, found) = json(addr, "GET", "/by-delivery-id/msg_dead").await;
    assert_eq!(status, 200);
    assert_eq!(found["items"][0]["id"], dead.to_string());
    let (_, found) = json(addr, "GET", "/by-delivery-id/msg_none").await;
    assert!(found["items"].as_array().unwrap().is_empty());

    // Show: attempts always, body only when asked.
    let (status, shown) = json(addr, "GET", &format!("/deliveries/{ok}")).await;
    assert_eq!(status, 200);
    assert_eq!(shown["attempts_log"][0]["outcome"], "succeeded");
    assert!(shown.get("body").is_none() && shown.get("headers").is_none());
    let (_, with_body) = json(addr, "GET", &format!("/deliveries/{ok}?body=true")).await;
    assert_eq!(with_body["body"], ok_body);
    assert!(
        with_body["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "webhook-id")
    );
    let (_, dead_shown) = json(addr, "GET", &format!("/deliveries/{dead}?body=false")).await;
    assert_eq!(
        dead_shown["attempts_log"][0]["error"],
        "refused by the test"
    );
    assert_eq!(json(addr, "GET", "/deliveries/999999").await.0, 404);
    assert_eq!(json(addr, "GET", "/deliveries/abc").await.0, 400);

    // The canary body never appears without `?body=true`.
    for path in [
        "/deliveries".to_owned(),
        "/by-delivery-id/msg_ok".to_owned(),
        format!("/deliveries/{ok}"),
        "/counts".to_owned(),
    ] {
        let (_, body) = call(addr, "GET", &path, Some(&format!("Bearer {TOKEN}"))).await;
        assert!(
            !String::from_utf8_lossy(&body).contains("CANARY"),
            "{path} leaks the body"
        );
    }

    // Replay-dead dry run changes nothing; replay one; a pending one is not replayed.
    let (status, plan) = json(addr, "POST", "/replay-dead?dry_run=true&route=billing").await;
    assert_eq!(status, 200);
    assert_eq!(plan["ids"], serde_json::json!([dead.to_string()]));
    assert_eq!(
        (plan["replayed"].as_u64(), plan["dry_run"].as_bool()),
        (Some(0), Some(true))
    );
    assert_eq!(
        f.inbox.show(dead).await.unwrap().summary().state(),
        State::Dead
    );
    let (status, replayed) = json(addr, "POST", &format!("/deliveries/{dead}/replay")).await;
    assert_eq!(
        (status, replayed["outcome"].as_str()),
        (200, Some("replayed"))
    );
    assert_eq!(
        f.inbox.show(dead).await.unwrap().summary().state(),
        State::Pending
    );
    let (status, again) = json(addr, "POST", &format!("/deliveries/{dead}/replay")).await;
    assert_eq!((status, again["state"].as_str()), (409, Some("pending")));
    assert_eq!(json(addr, "POST", "/deliveries/424242/replay").await.0, 404);
    assert_eq!(
        call(
            addr,
            "GET",
            &format!("/deliveries/{dead}/replay"),
            Some(&format!("Bearer {TOKEN}"))
        )
        .await
        .0,
        405
    );

    // Pause: the pending replay is held, a new receipt too; resume makes them pending.
    let (status, paused) = json(addr, "POST", "/routes/billing/pause").await;
    assert_eq!((status, paused["moved"].as_u64()), (200, Some(1)));
    let (_, routes) = json(addr, "GET", "/routes/paused").await;
    assert_eq!(routes["paused"], serde_json::json!(["billing"]));
    let held = f
        .inbox
        .receive(receipt("billing", "msg_new", b"{}"))
        .await
        .unwrap()
        .id();
    assert_eq!(
        f.inbox.show(held).await.unwrap().summary().state(),
        State::Held
    );
    let (_, counts) = json(addr, "GET", "/counts").await;
    assert_eq!(counts["states"]["held"], 2);
    let (status, resumed) = json(addr, "POST", "/routes/billing/resume").await;
    assert_eq!((status, resumed["moved"].as_u64()), (200, Some(2)));
    assert_eq!(
        f.inbox.show(held).await.unwrap().summary().state(),
        State::Pending
    );
    assert_eq!(json(addr, "POST", "/routes/bad%20route/pause").await.0, 400);

    // Replay-dead for real.
    f.clock.advance(Duration::from_secs(1));
    worker.tick().await.unwrap();
    assert_eq!(
        f.inbox.show(dead).await.unwrap().summary().state(),
        State::Dead
    );
    let (_, plan) = json(addr, "POST", "/replay-dead").await;
    assert_eq!(
        (plan["replayed"].as_u64(), plan["dry_run"].as_bool()),
        (Some(1), Some(false))
    );
    let (_, shown) = json(addr, "GET", &format!("/deliveries/{dead}")).await;
    assert_eq!(
        (shown["state"].as_str(), shown["attempts"].as_u64()),
        (Some("pending"), Some(2))
    );
    drop(worker);
}
