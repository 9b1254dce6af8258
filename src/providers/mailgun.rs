//! Mailgun (webhooks, JSON form): no signature header. The JSON body is an object whose
//! top-level `signature` object carries `timestamp` (decimal Unix seconds, as a JSON string),
//! `token` (a random 50-character nonce) and `signature` (lower-case hex HMAC-SHA256, keyed
//! with the "HTTP webhook signing key" as UTF-8, over `{timestamp}{token}`, no separator),
//! next to `event-data`.
//!
//! **The body is not covered by the MAC.** This is Mailgun's design, not a shortcut here:
//! the signature proves only that Mailgun produced this timestamp and token. Anyone who sees
//! one delivery can attach its signature object to other `event-data` until the token is
//! used, so the verifier leans on the other two checks: the timestamp window (two-sided, as
//! for every scheme) and the token as the delivery id, so the replay store admits each token
//! once, whatever event data comes with it (never a digest of the unsigned body). Treat
//! `event-data` as unauthenticated input: re-fetch events from Mailgun's API, or rely on TLS
//! (Mailgun also presents a TLS client certificate), where it matters.
//!
//! Parsing is strict: the body must be one JSON object; `signature` must appear once, with
//! `timestamp`, `token` and `signature` each once and each a JSON string (a numeric timestamp
//! is refused: Mailgun sends a string, see its docs and the mailgun-go SDK's `Signature`
//! type); no key may repeat at the top level or in the object; the timestamp is canonical
//! decimal, the signature lower-case hex, the token `[A-Za-z0-9_:-]{1,256}`. Other members
//! of the object (`parent-signature`, sent for subaccounts and keyed with the primary
//! account's key) are ignored: configure the key of the account that owns the domain.
//!
//! The legacy form-encoded webhooks (`timestamp`, `token`, `signature` as urlencoded fields
//! next to the event's fields) are not supported: Mailgun's current webhooks post JSON, and
//! a second, form-based source of the same three fields would double the parsing surface
//! for deliveries no current Mailgun account sends. Mailgun's inbound routes ("forward" to a
//! URL) post multipart or form data and are likewise not covered.
//!
//! Vectors: mailgun-php `tests/Api/WebhookTest.php` (`testVerifyWebhookGood`/`Bad`), plus the
//! catalogue vector; see `tests/vectors/mailgun.json`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, Unit, body_json};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset_in_body(
        "mailgun",
        Algorithm::HmacSha256,
        body_json("signature", "signature", "timestamp", "token"),
        Encoding::Hex,
        Unit::Seconds,
        vec![Part::Timestamp, Part::Id],
    )
}
