//! Where an inbox subcommand acts: the store file (offline) or a receiver's admin URL
//! (online), behind one set of operations answering the admin API's JSON.

use std::path::PathBuf;

use clap::Args;
use hookguard::inbox::{Inbox, InboxError, InboxId, ListQuery, ReplayOutcome, State, StoreError};
use serde_json::{Value, json};

use super::client::Client;
use super::{Failure, failed};
use crate::input::Usage;

/// Exactly one of `--path` and `--url`.
#[derive(Args)]
pub(crate) struct Target {
    /// The inbox store file (offline: no process may hold it).
    #[arg(long, value_name = "FILE")]
    path: Option<PathBuf>,
    /// A running receiver's admin listener, e.g. `http://127.0.0.1:9090` (online).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// With --url: the environment variable holding the admin bearer token.
    #[arg(long, value_name = "VAR", default_value = "HOOKGUARD_ADMIN_TOKEN")]
    token_env: String,
}

/// Filters shared by `list` and `replay --dead`.
#[derive(Args, Default)]
pub(crate) struct Filters {
    /// Only deliveries of this route.
    #[arg(long)]
    pub(crate) route: Option<String>,
    /// Only deliveries of this provider (e.g. `stripe`).
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// Only deliveries of this tenant.
    #[arg(long)]
    pub(crate) tenant: Option<String>,
}

impl Filters {
    fn query(&self) -> ListQuery {
        let mut query = ListQuery::new();
        if let Some(route) = &self.route {
            query = query.route(route);
        }
        if let Some(provider) = &self.provider {
            query = query.provider(provider);
        }
        if let Some(tenant) = &self.tenant {
            query = query.tenant(tenant);
        }
        query
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        [
            ("route", &self.route),
            ("provider", &self.provider),
            ("tenant", &self.tenant),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }
}

/// An open target.
pub(crate) enum Backend {
    Offline {
        inbox: Inbox,
        runtime: tokio::runtime::Runtime,
    },
    Online(Client),
}

impl Target {
    /// Opens the store file, or prepares the admin client.
    pub(crate) fn open(&self) -> Result<Backend, Failure> {
        match (&self.path, &self.url) {
            (Some(path), None) => {
                if !path.is_file() {
                    return Err(failed(format!("no inbox store file at {}", path.display())));
                }
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| failed(format!("cannot start a runtime: {e}")))?;
                match Inbox::open(path) {
                    Ok(inbox) => Ok(Backend::Offline { inbox, runtime }),
                    Err(StoreError::InUse) => Err(failed(format!(
                        "the inbox store file {} is in use by another process (a running \
                         receiver holds it); ask that process through its admin listener \
                         instead: --url http://127.0.0.1:PORT --token-env {}",
                        path.display(),
                        self.token_env
                    ))),
                    Err(e) => Err(failed(format!("cannot open {}: {e}", path.display()))),
                }
            }
            (None, Some(url)) => {
                let token = std::env::var(&self.token_env).map_err(|_| {
                    Usage(format!(
                        "--url needs the admin token in the environment variable {} \
                         (see --token-env)",
                        self.token_env
                    ))
                })?;
                if token.is_empty() {
                    return Err(Usage(format!("{} is empty", self.token_env)).into());
                }
                Ok(Backend::Online(Client::new(url, token)?))
            }
            _ => Err(Usage("give exactly one of --path FILE and --url URL".into()).into()),
        }
    }
}

fn inbox_error(error: InboxError) -> Failure {
    match error {
        InboxError::NotFound => failed("no such delivery"),
        other => failed(other.to_string()),
    }
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query_string(params: &[(&str, String)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

impl Backend {
    /// One page: `{"items": […], "next": cursor or null}`.
    pub(crate) fn list(
        &self,
        filters: &Filters,
        state: Option<State>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Value, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => {
                let mut query = filters.query().limit(limit);
                if let Some(state) = state {
                    query = query.state(state);
                }
                if let Some(cursor) = cursor {
                    query = query.after(cursor.parse().map_err(|_| failed("bad cursor"))?);
                }
                let page = runtime.block_on(inbox.list(query)).map_err(inbox_error)?;
                Ok(json!({
                    "items": page.items().iter().map(|s| s.to_json()).collect::<Vec<_>>(),
                    "next": page.next().map(|c| c.to_string()),
                }))
            }
            Backend::Online(client) => {
                let mut params = filters.params();
                if let Some(state) = state {
                    params.push(("state", state.to_string()));
                }
                if let Some(cursor) = cursor {
                    params.push(("cursor", cursor.to_owned()));
                }
                params.push(("limit", limit.to_string()));
                client.call("GET", &format!("/deliveries{}", query_string(&params)))
            }
        }
    }

    /// The inbox ids an argument names: `#N` is an inbox id; anything else is a provider's
    /// delivery id (every record under it), or, when none has it and it is a number, an
    /// inbox id.
    pub(crate) fn resolve(&self, arg: &str) -> Result<Vec<InboxId>, Failure> {
        if let Some(number) = arg.strip_prefix('#') {
            let id = number
                .parse::<InboxId>()
                .map_err(|_| Usage(format!("{arg}: not an inbox id")))?;
            return Ok(vec![id]);
        }
        let found: Vec<Value> = match self {
            Backend::Offline { inbox, runtime } => runtime
                .block_on(inbox.find(arg))
                .map_err(inbox_error)?
                .iter()
                .map(|s| s.to_json())
                .collect(),
            Backend::Online(client) => client
                .call("GET", &format!("/by-delivery-id/{}", encode(arg)))?["items"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        };
        let ids: Vec<InboxId> = found
            .iter()
            .filter_map(|item| item["id"].as_str()?.parse().ok())
            .collect();
        if !ids.is_empty() {
            return Ok(ids);
        }
        match arg.parse::<InboxId>() {
            Ok(id) => Ok(vec![id]),
            Err(_) => Err(failed(format!("{arg}: no such delivery"))),
        }
    }

    /// One delivery with its attempts (and its payload when `body`).
    pub(crate) fn show(&self, id: InboxId, body: bool) -> Result<Value, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => {
                let detail = if body {
                    runtime.block_on(inbox.show_with_payload(id))
                } else {
                    runtime.block_on(inbox.show(id))
                };
                Ok(detail.map_err(inbox_error)?.to_json())
            }
            Backend::Online(client) => {
                let query = if body { "?body=true" } else { "" };
                client.call("GET", &format!("/deliveries/{id}{query}"))
            }
        }
    }

    /// Replays one delivery: `Ok(None)` when replayed, `Ok(Some(state))` when it was not
    /// finished.
    pub(crate) fn replay(&self, id: InboxId) -> Result<Option<String>, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => {
                match runtime.block_on(inbox.replay(id)).map_err(inbox_error)? {
                    ReplayOutcome::Replayed => Ok(None),
                    ReplayOutcome::NotFinished(state) => Ok(Some(state.to_string())),
                    _ => Err(failed(format!("#{id}: no such delivery"))),
                }
            }
            Backend::Online(client) => {
                match client.call_status("POST", &format!("/deliveries/{id}/replay"))? {
                    (200, _) => Ok(None),
                    (409, v) => Ok(Some(v["state"].as_str().unwrap_or("unknown").to_owned())),
                    (404, _) => Err(failed(format!("#{id}: no such delivery"))),
                    (status, v) => Err(Client::refusal(status, &v)),
                }
            }
        }
    }

    /// Replays every dead delivery the filters select: `{"ids", "replayed", "dry_run"}`.
    pub(crate) fn replay_dead(&self, filters: &Filters, dry_run: bool) -> Result<Value, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => {
                let plan = runtime
                    .block_on(inbox.replay_dead(filters.query(), dry_run))
                    .map_err(inbox_error)?;
                Ok(json!({
                    "ids": plan.ids().iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                    "replayed": plan.replayed(),
                    "dry_run": plan.dry_run(),
                }))
            }
            Backend::Online(client) => {
                let mut params = filters.params();
                params.push(("dry_run", dry_run.to_string()));
                client.call("POST", &format!("/replay-dead{}", query_string(&params)))
            }
        }
    }

    /// Pauses or resumes a route: how many deliveries moved.
    pub(crate) fn set_paused(&self, route: &str, pause: bool) -> Result<u64, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => {
                let moved = if pause {
                    runtime.block_on(inbox.pause(route))
                } else {
                    runtime.block_on(inbox.resume(route))
                };
                Ok(u64::try_from(moved.map_err(inbox_error)?).unwrap_or(u64::MAX))
            }
            Backend::Online(client) => {
                let action = if pause { "pause" } else { "resume" };
                let answer = client.call("POST", &format!("/routes/{}/{action}", encode(route)))?;
                Ok(answer["moved"].as_u64().unwrap_or(0))
            }
        }
    }

    /// `{"states": {…}, "total", "bytes"}`.
    pub(crate) fn counts(&self) -> Result<Value, Failure> {
        match self {
            Backend::Offline { inbox, runtime } => Ok(runtime
                .block_on(inbox.counts())
                .map_err(inbox_error)?
                .to_json()),
            Backend::Online(client) => client.call("GET", "/counts"),
        }
    }
}
