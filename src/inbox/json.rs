//! The JSON forms of what the admin API answers (shared by the axum admin router and the
//! `hookguard inbox` command). Times are Unix milliseconds; ids are strings.

use base64::Engine as _;
use serde_json::{Value, json};

use super::attempt::Attempt;
use super::query::Counts;
use super::record::{DeliveryDetail, DeliverySummary};
use super::state::State;
use super::time::millis;

impl DeliverySummary {
    /// The summary as JSON: ids, state, attempts, metadata and times (never the body).
    ///
    /// Keys: `id` (the inbox's number), `delivery_id`, `state`, `attempts`, `route`,
    /// `tenant`, `provider`, `key_id`, `signed_at` (Unix seconds), `received_at`,
    /// `client_key`, `digest` (hex), `body_len`, `due_at`, `lease_until`, `updated_at`,
    /// `finished_at`, `dead_reason`, `last_error`, `replays`.
    pub fn to_json(&self) -> Value {
        let meta = self.meta();
        json!({
            "id": self.id().to_string(),
            "delivery_id": meta.delivery_id().to_string(),
            "state": self.state().as_str(),
            "attempts": self.attempts(),
            "route": meta.route(),
            "tenant": meta.tenant(),
            "provider": meta.provider(),
            "key_id": meta.key_id().map(|k| k.to_string()),
            "signed_at": meta.signed_at(),
            "received_at": meta.received_at().as_unix_millis(),
            "client_key": meta.client_key(),
            "digest": meta.digest_hex(),
            "body_len": self.body_len(),
            "due_at": self.due_at().map(|t| t.as_unix_millis()),
            "lease_until": self.lease_until().map(|t| t.as_unix_millis()),
            "updated_at": self.updated_at().as_unix_millis(),
            "finished_at": self.finished_at().map(|t| t.as_unix_millis()),
            "dead_reason": self.dead_reason().map(|r| r.as_str()),
            "last_error": self.last_error(),
            "replays": self.replays(),
        })
    }
}

impl Attempt {
    /// The attempt as JSON: `number`, `trigger`, `started_at`, `ended_at`, `outcome`,
    /// `latency_ms`, `error`.
    pub fn to_json(&self) -> Value {
        json!({
            "number": self.number(),
            "trigger": self.trigger().as_str(),
            "started_at": self.started_at().as_unix_millis(),
            "ended_at": self.ended_at().map(|t| t.as_unix_millis()),
            "outcome": self.outcome().as_str(),
            "latency_ms": self.latency().map(millis),
            "error": self.error(),
        })
    }
}

impl DeliveryDetail {
    /// The summary's JSON plus `attempts_log` (every attempt) and, only when the detail
    /// holds the payload ([`Inbox::show_with_payload`](super::Inbox::show_with_payload)),
    /// `headers` (`[name, value]` pairs), `body_base64` and `body` (the text, or `null`
    /// when the body is not UTF-8).
    pub fn to_json(&self) -> Value {
        let mut value = self.summary().to_json();
        value["attempts_log"] = self.attempts().iter().map(Attempt::to_json).collect();
        if let Some(payload) = self.payload() {
            let headers: Vec<Value> = payload
                .headers()
                .iter()
                .map(|(name, value)| {
                    json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())])
                })
                .collect();
            let body = payload.body();
            value["headers"] = Value::Array(headers);
            value["body_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
            value["body"] = std::str::from_utf8(body).map_or(Value::Null, |text| json!(text));
        }
        value
    }
}

impl Counts {
    /// `{"states": {"pending": n, …}, "total": n, "bytes": n}`.
    pub fn to_json(&self) -> Value {
        let states: serde_json::Map<String, Value> = State::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), json!(self.get(*s))))
            .collect();
        json!({ "states": states, "total": self.total(), "bytes": self.bytes() })
    }
}
