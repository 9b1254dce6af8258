//! [`inbox_admin`]: the inbox's admin API as JSON over HTTP, behind a bearer token
//! (features `axum` + `inbox`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State as AxumState};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{StatusCode, Uri};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::inbox::{Cursor, Inbox, InboxError, InboxId, ListQuery, ReplayOutcome, State};

/// [`inbox_admin`] refused its settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminConfigError {
    /// The bearer token is empty: every request would need no secret at all.
    #[error("the admin token must not be empty")]
    EmptyToken,
}

/// The inbox's admin API as a JSON router, every endpoint behind `Authorization: Bearer
/// <token>`.
///
/// | method and path | what it does |
/// |---|---|
/// | `GET /deliveries?state=&route=&provider=&tenant=&cursor=&limit=` | one page, newest first: `{"items": […], "next": cursor or null}` |
/// | `GET /deliveries/{id}` | one delivery with its attempts; `?body=true` adds its headers and body |
/// | `GET /by-delivery-id/{delivery_id}` | the deliveries recorded under a provider's delivery id: `{"items": […]}` |
/// | `POST /deliveries/{id}/replay` | a done or dead delivery pending again: `{"outcome": "replayed"}` |
/// | `POST /replay-dead?dry_run=true&route=&provider=&tenant=` | every dead delivery the filter selects: `{"ids": […], "replayed": n, "dry_run": b}` |
/// | `POST /routes/{route}/pause`, `POST /routes/{route}/resume` | `{"route": …, "paused": b, "moved": n}` |
/// | `GET /routes/paused` | `{"paused": [route, …]}` |
/// | `GET /counts` | deliveries per state and bytes used |
///
/// `{id}` is the inbox's own number ([`InboxId`]). A missing or wrong token is a bare 401
/// (no body that tells the two apart); the token is compared in constant time and never
/// logged. Errors are `{"error": "…"}` with 400 (a bad parameter), 404 (no such delivery)
/// or 503 (the store could not answer). A body is only in an answer that asked for it
/// (`?body=true`): it may hold personal data.
///
/// **Serve it on its own loopback listener** (e.g. `127.0.0.1:9090`), never beside the
/// webhook routes on the public one: it replays deliveries and shows their bodies.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use hookguard::inbox::Inbox;
/// let inbox = Inbox::open("/var/lib/app/inbox.redb")?;
/// let admin = hookguard::axum::inbox_admin(inbox.clone(), std::env::var("HOOKGUARD_ADMIN_TOKEN")?)?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9090").await?;
/// hookguard::axum::serve(listener, admin).await?;
/// # Ok(()) }
/// ```
pub fn inbox_admin(inbox: Inbox, token: impl Into<String>) -> Result<Router, AdminConfigError> {
    let token = Zeroizing::new(token.into());
    if token.is_empty() {
        return Err(AdminConfigError::EmptyToken);
    }
    let token = Arc::new(token);
    let router = Router::new()
        .route("/deliveries", get(list))
        .route("/deliveries/{id}", get(show))
        .route("/by-delivery-id/{delivery_id}", get(find))
        .route("/deliveries/{id}/replay", post(replay))
        .route("/replay-dead", post(replay_dead))
        .route("/routes/paused", get(paused))
        .route("/routes/{route}/pause", post(pause))
        .route("/routes/{route}/resume", post(resume))
        .route("/counts", get(counts))
        .fallback(not_found)
        .with_state(inbox)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = token.clone();
            async move {
                if authorized(&req, token.as_bytes()) {
                    next.run(req).await
                } else {
                    unauthorized()
                }
            }
        }));
    Ok(router)
}

/// Whether the request carries `Authorization: Bearer <token>`, compared in constant time.
fn authorized(req: &Request, token: &[u8]) -> bool {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some(given) = value
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case(b"bearer "))
        .and_then(|_| value.get(7..))
    else {
        return false;
    };
    // ct: public length — `ct_eq` on slices of different lengths is false without
    // comparing; the token's length is not the secret.
    bool::from(given.ct_eq(token))
}

fn unauthorized() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

fn ok(value: Value) -> Response {
    json_response(StatusCode::OK, &value)
}

fn bad_request(what: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({ "error": what }))
}

async fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({ "error": "not_found" }))
}

fn inbox_error(error: &InboxError) -> Response {
    match error {
        InboxError::NotFound => {
            json_response(StatusCode::NOT_FOUND, &json!({ "error": "not_found" }))
        }
        InboxError::InvalidRoute => bad_request("invalid_route"),
        _ => {
            tracing::warn!(%error, "inbox admin: the store could not answer");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "error": "unavailable" }),
            )
        }
    }
}

/// The query string's parameters, each name at most once.
fn params(uri: &Uri) -> Result<Vec<(String, String)>, &'static str> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(|_| "invalid_query")?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err("repeated_parameter");
        }
    }
    Ok(pairs)
}

fn flag(value: &str) -> Result<bool, &'static str> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("invalid_boolean"),
    }
}

/// A [`ListQuery`] from the filters in `pairs`; `extra` names the other parameters the
/// endpoint accepts (unknown parameters are refused, so a typo never widens a filter).
fn list_query(
    pairs: &[(String, String)],
    extra: &[&str],
    paging: bool,
) -> Result<ListQuery, &'static str> {
    let mut query = ListQuery::new();
    for (name, value) in pairs {
        query = match name.as_str() {
            "state" if paging => query.state(value.parse::<State>().map_err(|_| "invalid_state")?),
            "route" => query.route(value),
            "provider" => query.provider(value),
            "tenant" => query.tenant(value),
            "cursor" if paging => {
                query.after(value.parse::<Cursor>().map_err(|_| "invalid_cursor")?)
            }
            "limit" if paging => query.limit(value.parse::<usize>().map_err(|_| "invalid_limit")?),
            other if extra.contains(&other) => query,
            _ => return Err("unknown_parameter"),
        };
    }
    Ok(query)
}

async fn list(AxumState(inbox): AxumState<Inbox>, uri: Uri) -> Response {
    let query = match params(&uri).and_then(|p| list_query(&p, &[], true)) {
        Ok(query) => query,
        Err(what) => return bad_request(what),
    };
    match inbox.list(query).await {
        Ok(page) => ok(json!({
            "items": page.items().iter().map(|s| s.to_json()).collect::<Vec<_>>(),
            "next": page.next().map(|c| c.to_string()),
        })),
        Err(error) => inbox_error(&error),
    }
}

fn parse_id(id: &str) -> Result<InboxId, &'static str> {
    id.parse::<InboxId>().map_err(|_| "invalid_id")
}

async fn show(AxumState(inbox): AxumState<Inbox>, Path(id): Path<String>, uri: Uri) -> Response {
    let mut body = false;
    let parsed = params(&uri).and_then(|pairs| {
        for (name, value) in &pairs {
            match name.as_str() {
                "body" => body = flag(value)?,
                _ => return Err("unknown_parameter"),
            }
        }
        parse_id(&id)
    });
    let id = match parsed {
        Ok(id) => id,
        Err(what) => return bad_request(what),
    };
    let detail = if body {
        inbox.show_with_payload(id).await
    } else {
        inbox.show(id).await
    };
    match detail {
        Ok(detail) => ok(detail.to_json()),
        Err(error) => inbox_error(&error),
    }
}

async fn find(AxumState(inbox): AxumState<Inbox>, Path(delivery_id): Path<String>) -> Response {
    match inbox.find(&delivery_id).await {
        Ok(items) => ok(json!({ "items": items.iter().map(|s| s.to_json()).collect::<Vec<_>>() })),
        Err(error) => inbox_error(&error),
    }
}

async fn replay(AxumState(inbox): AxumState<Inbox>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(what) => return bad_request(what),
    };
    match inbox.replay(id).await {
        Ok(ReplayOutcome::Replayed) => ok(json!({ "id": id.to_string(), "outcome": "replayed" })),
        Ok(ReplayOutcome::NotFinished(state)) => json_response(
            StatusCode::CONFLICT,
            &json!({ "id": id.to_string(), "error": "not_finished", "state": state.as_str() }),
        ),
        Ok(_) => inbox_error(&InboxError::NotFound),
        Err(error) => inbox_error(&error),
    }
}

async fn replay_dead(AxumState(inbox): AxumState<Inbox>, uri: Uri) -> Response {
    let parsed = params(&uri).and_then(|pairs| {
        let mut dry_run = false;
        for (name, value) in &pairs {
            if name == "dry_run" {
                dry_run = flag(value)?;
            }
        }
        Ok((list_query(&pairs, &["dry_run"], false)?, dry_run))
    });
    let (filter, dry_run) = match parsed {
        Ok(parsed) => parsed,
        Err(what) => return bad_request(what),
    };
    match inbox.replay_dead(filter, dry_run).await {
        Ok(plan) => ok(json!({
            "ids": plan.ids().iter().map(|id| id.to_string()).collect::<Vec<_>>(),
            "replayed": plan.replayed(),
            "dry_run": plan.dry_run(),
        })),
        Err(error) => inbox_error(&error),
    }
}

async fn pause(AxumState(inbox): AxumState<Inbox>, Path(route): Path<String>) -> Response {
    match inbox.pause(&route).await {
        Ok(moved) => ok(json!({ "route": route, "paused": true, "moved": moved })),
        Err(error) => inbox_error(&error),
    }
}

async fn resume(AxumState(inbox): AxumState<Inbox>, Path(route): Path<String>) -> Response {
    match inbox.resume(&route).await {
        Ok(moved) => ok(json!({ "route": route, "paused": false, "moved": moved })),
        Err(error) => inbox_error(&error),
    }
}

async fn paused(AxumState(inbox): AxumState<Inbox>) -> Response {
    match inbox.paused_routes().await {
        Ok(routes) => ok(json!({ "paused": routes })),
        Err(error) => inbox_error(&error),
    }
}

async fn counts(AxumState(inbox): AxumState<Inbox>) -> Response {
    match inbox.counts().await {
        Ok(counts) => ok(counts.to_json()),
        Err(error) => inbox_error(&error),
    }
}
