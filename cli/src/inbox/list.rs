//! `hookguard inbox list`: one line per delivery, newest first.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use hookguard::inbox::{MAX_PAGE, State};
use serde_json::Value;

use super::target::{Filters, Target};
use super::{Failure, utc};
use crate::input::Usage;

#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    target: Target,
    /// Only deliveries in this state: pending, processing, done, dead, held.
    #[arg(long)]
    state: Option<String>,
    #[command(flatten)]
    filters: Filters,
    /// At most this many deliveries (default: all).
    #[arg(long)]
    limit: Option<usize>,
    /// Print each delivery as one JSON object per line instead.
    #[arg(long)]
    json: bool,
}

/// `<delivery-id> <state> <attempts> #<inbox-id> <route> <provider> <received-at>`, then
/// `tenant=…` and `dead=<reason>` when they apply.
pub(crate) fn line(item: &Value) -> String {
    let text = |key: &str| item[key].as_str().unwrap_or("-").to_owned();
    let mut line = format!(
        "{} {} {} #{} {} {} {}",
        text("delivery_id"),
        text("state"),
        item["attempts"].as_u64().unwrap_or(0),
        text("id"),
        text("route"),
        text("provider"),
        item["received_at"].as_u64().map_or("-".to_owned(), utc),
    );
    if let Some(tenant) = item["tenant"].as_str().filter(|t| !t.is_empty()) {
        line += &format!(" tenant={tenant}");
    }
    if let Some(reason) = item["dead_reason"].as_str() {
        line += &format!(" dead={reason}");
    }
    line
}

pub(crate) fn run(args: ListArgs) -> Result<ExitCode, Failure> {
    let state = args
        .state
        .as_deref()
        .map(|s| {
            s.parse::<State>().map_err(|_| {
                Usage(format!(
                    "--state {s}: one of pending, processing, done, dead, held"
                ))
            })
        })
        .transpose()?;
    let backend = args.target.open()?;
    let mut left = args.limit.unwrap_or(usize::MAX);
    let mut cursor: Option<String> = None;
    let mut out = std::io::stdout().lock();
    while left > 0 {
        let page = backend.list(&args.filters, state, cursor.as_deref(), left.min(MAX_PAGE))?;
        for item in page["items"].as_array().into_iter().flatten().take(left) {
            let printed = if args.json {
                item.to_string()
            } else {
                line(item)
            };
            let _ = writeln!(out, "{printed}");
            left -= 1;
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    Ok(ExitCode::SUCCESS)
}
