//! The scenario table, unchanged, against actix-web over real loopback HTTP; then both
//! adapters side by side: every row must get the same status, pinned headers, code and
//! handler-ran decision.
#![cfg(all(feature = "actix-web", feature = "axum"))]

use std::time::Duration;

use crate::apps;
use crate::scenarios::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_table_identical_on_axum_and_actix() {
    let actix = apps::start_actix();
    let axum = apps::start_axum().await;
    let on_actix = run_table(&actix, "actix").await;
    let on_axum = run_table(&axum, "axumref").await;
    assert_eq!(on_actix.len(), on_axum.len(), "row counts differ");
    for (a, b) in on_actix.iter().zip(&on_axum) {
        assert_eq!(a, b, "first difference:\n  actix: {a:?}\n  axum:  {b:?}");
    }
    println!("{} rows identical on actix and axum", on_actix.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_addresses_in_one_prefix_share_a_bucket_on_actix() {
    let app = apps::start_actix();
    ipv6_prefix_shares_a_bucket(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractor_only_mode_has_the_same_statuses() {
    let app = apps::start_actix();
    let now = unix_now();
    let body = r#"{"type":"x"}"#;
    let at = |path: &str, req: Req| req.path(path);
    let valid = at(
        "/standalone",
        Req::new("127.0.0.40").signed("msg_alone_1", body),
    );
    let r = send(app.addr, &valid).await;
    assert_eq!((r.status, app.log.runs()), (204, 1));
    let r = send(app.addr, &valid).await;
    assert_eq!(
        (r.status, r.code().as_deref(), app.log.runs()),
        (200, Some("duplicate_delivery"), 1)
    );
    let tampered = at(
        "/standalone",
        Req::new("127.0.0.41")
            .signed("msg_alone_2", body)
            .body(br#"{"type":"y"}"#),
    );
    let r = send(app.addr, &tampered).await;
    assert_eq!(
        (r.status, r.code().as_deref(), app.log.runs()),
        (401, Some("signature_mismatch"), 1)
    );
    let fails_once = r#"{"fail":true,"times":1}"#;
    let failing = at(
        "/standalone",
        Req::new("127.0.0.42").signed("msg_alone_3", fails_once),
    );
    let r = send(app.addr, &failing).await;
    assert_eq!((r.status, app.log.runs()), (500, 2));
    let retry = at(
        "/standalone",
        Req::new("127.0.0.42").signed_with(SECRET, "msg_alone_3", now + 1, fails_once),
    );
    let r = send(app.addr, &retry).await;
    assert_eq!(
        (r.status, r.code().as_deref(), app.log.runs()),
        (409, Some("delivery_cooling_down"), 2),
        "inside the cool-down"
    );
    replay_clock().advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF);
    let r = send(app.addr, &retry).await;
    assert_eq!(
        (r.status, app.log.runs()),
        (204, 3),
        "released claim lets the retry run"
    );
    let not_json = at(
        "/standalone",
        Req::new("127.0.0.43").signed("msg_alone_4", "not json"),
    );
    let r = send(app.addr, &not_json).await;
    assert_eq!(
        (r.status, r.code().as_deref(), app.log.runs()),
        (400, Some("invalid_payload"), 3)
    );
    let mut big = at(
        "/standalone",
        Req::new("127.0.0.44").signed("msg_alone_5", &"x".repeat(BODY_LIMIT + 10)),
    );
    big.chunked = Some(4096);
    let r = send(app.addr, &big).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (413, Some("payload_too_large"))
    );
}

/// The pipeline's cap is the only body limit: a verified body up to it reaches every body
/// extractor (actix: `web::Bytes`, `String`, `web::Json`, `web::Form`; axum: `Bytes`,
/// `String`, `Json`, `Form`; both: `Webhook<T>`) with no framework configuration, and one byte
/// over it is 413 before verification — the same statuses on both adapters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_bodies_up_to_the_cap_reach_every_extractor_on_axum_and_actix() {
    let actix = apps::start_actix_extractors();
    let axum = apps::start_axum_extractors().await;
    let on_actix = run_extractor_rows(&actix, "actix").await;
    let on_axum = run_extractor_rows(&axum, "axum").await;
    assert_eq!(on_actix.len(), on_axum.len(), "row counts differ");
    for (a, b) in on_actix.iter().zip(&on_axum) {
        assert_eq!(a, b, "first difference:\n  actix: {a:?}\n  axum:  {b:?}");
    }

    // actix's `Webhook<T>` without the middleware (the pipeline in `app_data`) has only the
    // pipeline's cap too.
    let mib = 1024 * 1024;
    let before = actix.log.runs();
    let r = send(
        actix.addr,
        &sized_delivery("127.0.0.51", "msg_alone_big", "big", "webhook", 3 * mib)
            .path("/big/standalone"),
    )
    .await;
    let pad = (3 * mib - r#"{"pad":""}"#.len()).to_string();
    assert_eq!(
        (r.status, r.header("x-got"), actix.log.runs() - before),
        (204, Some(pad.as_str()), 1)
    );
    let mut over = sized_delivery(
        "127.0.0.51",
        "msg_alone_over",
        "big",
        "webhook",
        BIG_CAP + 1,
    )
    .path("/big/standalone");
    over.stall_after = Some(0);
    let r = send(actix.addr, &over).await;
    assert_eq!(
        (r.status, r.code().as_deref(), actix.log.runs() - before),
        (413, Some("payload_too_large"), 1)
    );

    // The user's own settings: a `DefaultBodyLimit` around the guarded route (axum) and a
    // `JsonConfig` on the guarded resource (actix) lose their limit to the cap; the rest of
    // the `JsonConfig` (`text/plain` accepted as JSON) still applies.
    let size = 256 * 1024 + 1;
    let pad = (size - r#"{"pad":""}"#.len()).to_string();
    let custom = |id: &str, content_type: &str| {
        sized_delivery("127.0.0.52", id, "custom", "json", size)
            .set_header("content-type", content_type)
    };
    let r = send(axum.addr, &custom("msg_custom_axum", "application/json")).await;
    assert_eq!((r.status, r.header("x-got")), (204, Some(pad.as_str())));
    let r = send(actix.addr, &custom("msg_custom_actix", "text/plain")).await;
    assert_eq!((r.status, r.header("x-got")), (204, Some(pad.as_str())));
    println!("{} rows identical on actix and axum", on_actix.len());
}

/// What one request got, compared across the guard's placements: status, the headers a
/// client acts on, the body, and how many times the handler ran.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: String,
    ran: usize,
}

/// The same deliveries against one placement of the guard; `(what, seen)` per request.
async fn placement_rows(app: &TestApp) -> Vec<(&'static str, Seen)> {
    let mut out = Vec::new();
    let mut step = async |what: &'static str, req: &Req| {
        let before = app.log.runs();
        let r = send(app.addr, req).await;
        let seen = Seen {
            status: r.status,
            content_type: r.header("content-type").map(str::to_owned),
            retry_after: r.header("retry-after").map(str::to_owned),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            ran: app.log.runs() - before,
        };
        out.push((what, seen));
        (r.status, r.code(), app.log.runs() - before)
    };
    let at = |req: Req| req.path("/hooks/webhook");
    let body = r#"{"type":"invoice.paid"}"#;

    let valid = at(Req::new("127.0.0.60").signed("msg_place_ok", body));
    assert_eq!(step("valid", &valid).await, (204, None, 1));
    assert_eq!(
        step("duplicate", &valid).await,
        (200, Some("duplicate_delivery".into()), 0)
    );
    let forged = at(Req::new("127.0.0.61").signed_with(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "msg_place_forged",
        unix_now(),
        body,
    ));
    assert_eq!(
        step("forged", &forged).await,
        (401, Some("signature_mismatch".into()), 0)
    );
    let fails = at(Req::new("127.0.0.62").signed("msg_place_fail", r#"{"fail":true}"#));
    assert_eq!(step("handler answers 500", &fails).await, (500, None, 1));

    // A panic (first run only), then the claim is released: a copy inside the cool-down is
    // 409, the retry after it runs the handler.
    let panics =
        at(Req::new("127.0.0.63").signed("msg_place_panic", r#"{"panic":true,"times":1}"#));
    assert_eq!(
        step("handler panics", &panics).await,
        (500, Some("handler_panicked".into()), 1)
    );
    assert_eq!(
        step("copy after the panic", &panics).await,
        (409, Some("delivery_cooling_down".into()), 0)
    );
    tokio::time::sleep(BACKOFF + Duration::from_millis(100)).await;
    assert_eq!(step("retry after the panic", &panics).await, (204, None, 1));

    // A timeout (first run only), the same way.
    let slow =
        at(Req::new("127.0.0.64").signed("msg_place_slow", r#"{"sleep_ms":1500,"times":1}"#));
    assert_eq!(
        step("handler times out", &slow).await,
        (503, Some("handler_timeout".into()), 1)
    );
    tokio::time::sleep(BACKOFF + Duration::from_millis(100)).await;
    assert_eq!(step("retry after the timeout", &slow).await, (204, None, 1));
    out
}

/// The cool-down after a failed attempt in [`placement_pipeline`].
const BACKOFF: Duration = Duration::from_millis(200);

/// A short handler timeout (300 ms) and cool-down ([`BACKOFF`]), on the real clock; rate limits
/// out of the way.
fn placement_pipeline() -> hookguard::pipeline::Pipeline {
    use hookguard::ratelimit::RateLimit;
    use hookguard::replay::{MemoryStore, ReplayGuard};
    let replay = ReplayGuard::builder(MemoryStore::default())
        .handler_timeout(Duration::from_millis(300))
        .lease(Duration::from_secs(10))
        .failure_backoff(BACKOFF, BACKOFF * 4)
        .build()
        .unwrap();
    hookguard::pipeline::Pipeline::builder(verifier())
        .replay(replay)
        .rate_limit(RateLimit::per_second(1_000_000).unwrap())
        .failure_rate_limit(RateLimit::per_second(1_000_000).unwrap())
        .build()
        .unwrap()
}

/// `WebhookGuard` on a resource, a scope and the whole `App` answers every delivery the same:
/// valid 204 (handler once), duplicate 200, forged 401, handler 500, handler panic 500 with
/// the claim released, handler timeout 503 with the claim released. (Before the fix, behind
/// a scope or the `App`, every request that reached the handler was a 500: actix's routing
/// inside the guard needs the request unshared.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_on_a_resource_a_scope_or_the_app_answers_the_same() {
    use crate::apps::GuardAt;
    let mut results = Vec::new();
    for at in [GuardAt::Resource, GuardAt::Scope, GuardAt::App] {
        let app = apps::start_actix_guarded_at(at, placement_pipeline());
        results.push((at, placement_rows(&app).await));
    }
    let (_, on_resource) = &results[0];
    for (at, rows) in &results[1..] {
        assert_eq!(rows.len(), on_resource.len());
        for (a, b) in on_resource.iter().zip(rows) {
            assert_eq!(
                a, b,
                "first difference:\n  resource: {a:?}\n  {at:?}: {b:?}"
            );
        }
    }
}

/// The scenario table with each guard wrapping a scope (`apps::start_actix_scoped`) gets
/// what it gets with each guard wrapping a resource (`apps::start_actix`), row for row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_table_identical_with_the_guard_on_a_scope() {
    let on_resource = run_table(&apps::start_actix(), "actixres").await;
    let on_scope = run_table(&apps::start_actix_scoped(), "actixscope").await;
    assert_eq!(on_resource.len(), on_scope.len(), "row counts differ");
    for (a, b) in on_resource.iter().zip(&on_scope) {
        assert_eq!(
            a, b,
            "first difference:\n  resource: {a:?}\n  scope:    {b:?}"
        );
    }
    println!(
        "{} rows identical with the guard on a resource and on a scope",
        on_scope.len()
    );
}
