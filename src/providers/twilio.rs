//! Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 with the Auth Token over the full URL
//! followed by the form parameters sorted by name (name then value, no separators). When the
//! URL carries `bodySHA256=<hex>` (JSON bodies), only the URL is signed and the body's SHA-256
//! must equal that value. The URL is tried with and without its default port, as Twilio's SDKs
//! do. Vector: Twilio docs, "Webhooks security", reproduced with PyPI `twilio`.

use subtle::ConstantTimeEq as _;

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "twilio",
        Algorithm::HmacSha1,
        "x-twilio-signature",
        single(""),
        Encoding::Base64,
        vec![Part::Url, Part::TwilioParams],
    )
}

/// The value of `bodySHA256` in the URL's query, if any.
pub(crate) fn body_sha256_param(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
}

/// Whether `body`'s SHA-256, in lower-case hex, is `expected` (compared in constant time).
pub(crate) fn body_hashes_to(body: &[u8], expected: &str) -> bool {
    let actual = hex::encode(crate::crypto::sha256(body));
    expected.len() == actual.len() && bool::from(expected.as_bytes().ct_eq(actual.as_bytes()))
}

/// The URL as given, and with its default port toggled (added when absent, removed when
/// present), because Twilio's SDKs accept both: proxies differ in whether they keep it.
pub(crate) fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Ok(uri) = url.parse::<http::Uri>() else {
        return out;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return out;
    };
    let default_port = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return out,
    };
    let prefix = format!("{scheme}://");
    let Some(rest) = url.strip_prefix(&prefix) else {
        return out;
    };
    let Some(after) = rest.strip_prefix(authority.as_str()) else {
        return out;
    };
    let toggled = match authority.port_u16() {
        Some(p) if p == default_port => {
            let auth = authority.as_str();
            let host = &auth[..auth.len() - format!(":{p}").len()];
            format!("{prefix}{host}{after}")
        }
        Some(_) => return out,
        None => format!("{prefix}{authority}:{default_port}{after}"),
    };
    out.push(toggled);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_variants() {
        assert_eq!(
            url_variants("https://x.com/a?b=1"),
            ["https://x.com/a?b=1", "https://x.com:443/a?b=1"]
        );
        assert_eq!(
            url_variants("https://x.com:443/a"),
            ["https://x.com:443/a", "https://x.com/a"]
        );
        assert_eq!(
            url_variants("https://x.com:8443/a"),
            ["https://x.com:8443/a"]
        );
    }

    #[test]
    fn body_hash_param() {
        assert_eq!(
            body_sha256_param("https://x/a?foo=1&bodySHA256=ab"),
            Some("ab")
        );
        assert_eq!(body_sha256_param("https://x/a?foo=1"), None);
    }
}
