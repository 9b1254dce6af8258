//! SendGrid Event Webhook (signed): `X-Twilio-Email-Event-Webhook-Signature: <base64 DER>` with
//! `X-Twilio-Email-Event-Webhook-Timestamp`, ECDSA P-256 / SHA-256 over `{timestamp}{body}`;
//! the verification key is the base64 DER SubjectPublicKeyInfo SendGrid shows (feature
//! `ecdsa`). DER is parsed strictly; high-S signatures are accepted, as SendGrid's own are.
//! ECDSA signatures are randomized, so the delivery id is the body digest. Vector:
//! sendgrid-python `test/unit/test_eventwebhook.py`, re-verified with PyPI `sendgrid`
//! `EventWebhook.verify_signature`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "sendgrid",
        Algorithm::EcdsaP256,
        "x-twilio-email-event-webhook-signature",
        single(""),
        Encoding::Base64,
        vec![Part::Timestamp, Part::Body],
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-twilio-email-event-webhook-timestamp"),
        Unit::Seconds,
    ))
}
