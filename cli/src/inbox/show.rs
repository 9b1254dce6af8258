//! `hookguard inbox show`: one delivery with its attempts; its headers and body only with
//! `--body`.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::target::Target;
use super::{Failure, utc};

#[derive(Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    target: Target,
    /// The provider's delivery id (every record under it), or `#<inbox-id>`.
    id: String,
    /// Also print the stored headers and the body (they may hold personal data).
    #[arg(long)]
    body: bool,
    /// Print the JSON the admin API answers instead.
    #[arg(long)]
    json: bool,
}

fn time(value: &Value) -> String {
    value.as_u64().map_or("-".to_owned(), utc)
}

fn print(out: &mut impl Write, d: &Value) {
    let text = |key: &str| match &d[key] {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let _ = writeln!(out, "inbox id:     #{}", text("id"));
    for (label, key) in [
        ("delivery id: ", "delivery_id"),
        ("state:       ", "state"),
        ("attempts:    ", "attempts"),
        ("route:       ", "route"),
        ("provider:    ", "provider"),
        ("tenant:      ", "tenant"),
        ("key id:      ", "key_id"),
        ("client:      ", "client_key"),
        ("digest:      ", "digest"),
        ("body bytes:  ", "body_len"),
        ("replays:     ", "replays"),
        ("dead reason: ", "dead_reason"),
        ("last error:  ", "last_error"),
    ] {
        let _ = writeln!(out, "{label} {}", text(key));
    }
    for (label, key) in [
        ("received at: ", "received_at"),
        ("due at:      ", "due_at"),
        ("finished at: ", "finished_at"),
    ] {
        let _ = writeln!(out, "{label} {}", time(&d[key]));
    }
    for a in d["attempts_log"].as_array().into_iter().flatten() {
        let latency = a["latency_ms"]
            .as_u64()
            .map_or(String::new(), |ms| format!(" {ms}ms"));
        let error = a["error"]
            .as_str()
            .map_or(String::new(), |e| format!(": {e}"));
        let _ = writeln!(
            out,
            "attempt {} {} {} {}{latency}{error}",
            a["number"],
            a["trigger"].as_str().unwrap_or("-"),
            time(&a["started_at"]),
            a["outcome"].as_str().unwrap_or("-"),
        );
    }
    if let Some(headers) = d["headers"].as_array() {
        let _ = writeln!(out, "headers:");
        for h in headers {
            let _ = writeln!(
                out,
                "  {}: {}",
                h[0].as_str().unwrap_or(""),
                h[1].as_str().unwrap_or("")
            );
        }
        match d["body"].as_str() {
            Some(body) => {
                let _ = writeln!(out, "body:\n{body}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "body (base64): {}",
                    d["body_base64"].as_str().unwrap_or("")
                );
            }
        }
    }
}

pub(crate) fn run(args: ShowArgs) -> Result<ExitCode, Failure> {
    let backend = args.target.open()?;
    let mut out = std::io::stdout().lock();
    for (i, id) in backend.resolve(&args.id)?.into_iter().enumerate() {
        let detail = backend.show(id, args.body)?;
        if args.json {
            let _ = writeln!(out, "{detail}");
        } else {
            if i > 0 {
                let _ = writeln!(out);
            }
            print(&mut out, &detail);
        }
    }
    Ok(ExitCode::SUCCESS)
}
