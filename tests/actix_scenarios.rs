//! The scenario table, unchanged, against actix-web over real loopback HTTP; then both
//! adapters side by side: every row must get the same status, pinned headers, code and
//! handler-ran decision.
#![cfg(all(feature = "actix-web", feature = "axum"))]

#[path = "support/apps.rs"]
mod apps;
#[path = "support/scenarios.rs"]
mod scenarios;

use scenarios::*;

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
    let failing = at(
        "/standalone",
        Req::new("127.0.0.42").signed("msg_alone_3", r#"{"fail":true}"#),
    );
    let r = send(app.addr, &failing).await;
    assert_eq!((r.status, app.log.runs()), (500, 2));
    let retry = at(
        "/standalone",
        Req::new("127.0.0.42").signed_with(SECRET, "msg_alone_3", now + 1, body),
    );
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
