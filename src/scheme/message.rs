//! Assembling the signed message from its parts, without copying the body.

use super::Part;

/// Everything a scheme may sign, already extracted and validated.
pub(crate) struct MessageInput<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) id: &'a str,
    pub(crate) timestamp: &'a str,
    pub(crate) body: &'a [u8],
    /// Twilio's sorted `(name, value)` pairs; empty when the URL carries `bodySHA256`.
    pub(crate) params: &'a [(String, String)],
}

/// Feeds each part of the message to `sink`, in order.
pub(crate) fn feed(parts: &[Part], input: &MessageInput<'_>, mut sink: impl FnMut(&[u8])) {
    for part in parts {
        match part {
            Part::Id => sink(input.id.as_bytes()),
            Part::Timestamp => sink(input.timestamp.as_bytes()),
            Part::Body => sink(input.body),
            Part::Url => sink(input.url.as_bytes()),
            Part::Method => sink(input.method.as_bytes()),
            Part::Literal(bytes) => sink(bytes),
            Part::TwilioParams => {
                for (name, value) in input.params {
                    sink(name.as_bytes());
                    sink(value.as_bytes());
                }
            }
        }
    }
}
