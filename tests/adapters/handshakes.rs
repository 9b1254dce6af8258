//! Provider handshakes over real HTTP on both adapters: the pipeline answers them, the handler
//! never runs, and a forged handshake is refused where the provider signs it.
#![cfg(all(feature = "axum", feature = "actix-web"))]

use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::{Provider, Verifier};

use crate::apps;
use crate::scenarios::*;

fn pipeline_for(provider: Provider, secret: &str) -> Pipeline {
    Pipeline::builder(Verifier::builder(provider).secret(secret).build().unwrap())
        .rate_limit(RateLimit::per_second(10_000).unwrap())
        .failure_rate_limit(RateLimit::per_second(10_000).unwrap())
        .handshake_token("meta-verify-token-123")
        .build()
        .unwrap()
}

async fn both(provider: Provider, secret: &str) -> [TestApp; 2] {
    [
        apps::start_axum_with(pipeline_for(provider, secret)).await,
        apps::start_actix_with(pipeline_for(provider, secret)),
    ]
}

fn json(resp: &Resp) -> serde_json::Value {
    serde_json::from_slice(&resp.body)
        .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&resp.body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_url_verification() {
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    // Slack docs, "url_verification" event.
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    for app in both(Provider::Slack, secret).await {
        let r = send(
            app.addr,
            &signed_for("127.0.0.100", Provider::Slack, secret, body, &[]),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            json(&r)["challenge"],
            "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        );
        let forged = send(
            app.addr,
            &signed_for("127.0.0.100", Provider::Slack, "not-the-secret", body, &[]),
        )
        .await;
        assert_eq!(
            (forged.status, forged.code().as_deref()),
            (401, Some("signature_mismatch"))
        );
        let event = send(
            app.addr,
            &signed_for(
                "127.0.0.100",
                Provider::Slack,
                secret,
                r#"{"type":"event_callback"}"#,
                &[],
            ),
        )
        .await;
        assert_eq!(event.status, 204);
        assert_eq!(
            app.log.runs(),
            1,
            "only the ordinary event reaches the handler"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoom_endpoint_url_validation() {
    let secret = "zoom_secret_token";
    let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    for app in both(Provider::Zoom, secret).await {
        let r = send(
            app.addr,
            &signed_for("127.0.0.101", Provider::Zoom, secret, body, &[]),
        )
        .await;
        assert_eq!(r.status, 200);
        let v = json(&r);
        assert_eq!(v["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
        // providers.md: hex(HMAC-SHA256("zoom_secret_token", plainToken)), per Zoom's docs.
        assert_eq!(
            v["encryptedToken"],
            "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726"
        );
        let forged = send(
            app.addr,
            &signed_for("127.0.0.101", Provider::Zoom, "other", body, &[]),
        )
        .await;
        assert_eq!(forged.status, 401);
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_without_a_handshake_is_405() {
    for app in both(Provider::Github, "s3cret").await {
        let r = send(
            app.addr,
            &Req::new("127.0.0.102").get().path("/webhook?challenge=abc"),
        )
        .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (405, Some("method_not_allowed"))
        );
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitch_webhook_callback_verification() {
    let secret = "s3cRe7abcdef";
    // Twitch docs: the challenge to echo, in a signed notification of type
    // webhook_callback_verification.
    let body = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow"}}"#;
    let kind = [(
        "twitch-eventsub-message-type",
        "webhook_callback_verification",
    )];
    for app in both(Provider::Twitch, secret).await {
        let r = send(
            app.addr,
            &signed_for("127.0.0.103", Provider::Twitch, secret, body, &kind),
        )
        .await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (200, Some("text/plain"))
        );
        assert_eq!(r.body, b"pogchamp-kappa-360noscope-vohiyo");
        let forged = send(
            app.addr,
            &signed_for(
                "127.0.0.103",
                Provider::Twitch,
                "not-it-at-all",
                body,
                &kind,
            ),
        )
        .await;
        assert_eq!(forged.status, 401);
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropbox_challenge() {
    for app in both(Provider::Dropbox, "dropbox_app_secret").await {
        let r = send(
            app.addr,
            &Req::new("127.0.0.104")
                .get()
                .path("/webhook?challenge=kf83Jdk29sL0"),
        )
        .await;
        assert_eq!(
            (
                r.status,
                r.header("content-type"),
                r.header("x-content-type-options")
            ),
            (200, Some("text/plain"), Some("nosniff"))
        );
        assert_eq!(r.body, b"kf83Jdk29sL0");
        let markup = send(
            app.addr,
            &Req::new("127.0.0.104")
                .get()
                .path("/webhook?challenge=%3Cscript%3E"),
        )
        .await;
        assert_eq!(markup.status, 400, "only a safe challenge is echoed");
        let twice = send(
            app.addr,
            &Req::new("127.0.0.104")
                .get()
                .path("/webhook?challenge=a&challenge=b"),
        )
        .await;
        assert_eq!(twice.status, 400);
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_verify_token() {
    for app in both(Provider::Meta, "meta_app_secret").await {
        let ok = "/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meta-verify-token-123";
        let r = send(app.addr, &Req::new("127.0.0.105").get().path(ok)).await;
        assert_eq!((r.status, r.body.as_slice()), (200, &b"1158201444"[..]));
        let forged = "/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess";
        let r = send(app.addr, &Req::new("127.0.0.105").get().path(forged)).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (401, Some("signature_mismatch"))
        );
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_one_time_verification() {
    let secret = "okta-hook-secret-value";
    for app in both(Provider::Okta, secret).await {
        let challenge = "gkXCSy2QxsAZOHfQpQwV";
        let r = send(
            app.addr,
            &Req::new("127.0.0.106")
                .get()
                .header("x-okta-verification-challenge", challenge)
                .header("authorization", secret),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(json(&r)["verification"], challenge);
        let forged = send(
            app.addr,
            &Req::new("127.0.0.106")
                .get()
                .header("x-okta-verification-challenge", challenge)
                .header("authorization", "wrong"),
        )
        .await;
        assert_eq!(forged.status, 401);
        assert_eq!(app.log.runs(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_crc_challenge() {
    for app in both(Provider::X, "x_consumer_secret_0123456789").await {
        let r = send(
            app.addr,
            &Req::new("127.0.0.107")
                .get()
                .path("/webhook?crc_token=crc_token_abc123"),
        )
        .await;
        assert_eq!(r.status, 200);
        // base64(HMAC-SHA256(consumer secret, crc_token)), computed with python hmac per X's docs.
        assert_eq!(
            json(&r)["response_token"],
            "sha256=SNsJnxGkr0RdCe3fSYFETtAJIIkIgFYpZJ6BhXVjjMw="
        );
        assert_eq!(app.log.runs(), 0);
    }
}
