//! Twitch EventSub (webhook transport): `Twitch-Eventsub-Message-Signature: sha256=<hex>`,
//! HMAC-SHA256 with the subscription secret over `{message id}{message timestamp}{body}` (no
//! separators). The timestamp is RFC 3339 UTC with up to nanoseconds; the message id is signed,
//! so it is the delivery id (Twitch's own deduplication key). Strict parsing keeps the
//! separator-free concatenation unambiguous: the id charset excludes `.`, and the timestamp
//! must start with a four-digit year and end with `Z`. Vector: computed per Twitch's docs
//! "Verifying the event message" (Twitch ships no server SDK).

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "twitch",
        Algorithm::HmacSha256,
        "twitch-eventsub-message-signature",
        single("sha256="),
        Encoding::Hex,
        vec![Part::Id, Part::Timestamp, Part::Body],
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("twitch-eventsub-message-timestamp"),
        Unit::Rfc3339,
    ))
    .with_id_header("twitch-eventsub-message-id")
    .with_handshake(Handshake::TwitchCallbackVerification)
}
