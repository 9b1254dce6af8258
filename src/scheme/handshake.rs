//! Endpoint handshakes: the requests some providers send before (or besides) deliveries to
//! check that the endpoint is theirs. They are answered by the pipeline, never by the handler,
//! and only after whatever verification the provider allows.

/// A provider's handshake, part of its preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handshake {
    /// Slack Events API: a signed POST `{"type":"url_verification","challenge":C}` → `C`.
    SlackUrlVerification,
    /// Zoom: a signed POST `{"event":"endpoint.url_validation","payload":{"plainToken":P}}` →
    /// `{"plainToken":P,"encryptedToken":hex(HMAC-SHA256(secret, P))}`.
    ZoomUrlValidation,
    /// Twitch EventSub: a signed POST with `Twitch-Eventsub-Message-Type:
    /// webhook_callback_verification` and `{"challenge":C}` → `C` as text/plain.
    TwitchCallbackVerification,
    /// Dropbox: `GET ?challenge=C` → `C` as text/plain (unsigned by Dropbox's design; the
    /// echo is bounded and served with `nosniff`).
    DropboxChallenge,
    /// Meta / WhatsApp: `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` → `C`,
    /// only when `T` equals the configured verify token (compared in constant time).
    MetaVerifyToken,
    /// Okta event hooks: `GET` with `X-Okta-Verification-Challenge: V` and the configured
    /// authorization header → `{"verification":V}`.
    OktaVerification,
    /// X (Twitter) CRC: `GET ?crc_token=T` → `{"response_token":"sha256=" +
    /// base64(HMAC-SHA256(consumer secret, T))}`.
    XCrc,
}

impl Handshake {
    /// Whether it arrives as a GET (else it is a signed POST, verified like a delivery).
    pub fn is_get(self) -> bool {
        matches!(
            self,
            Handshake::DropboxChallenge
                | Handshake::MetaVerifyToken
                | Handshake::OktaVerification
                | Handshake::XCrc
        )
    }
}
