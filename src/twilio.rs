//! Twilio's form-parameter and URL handling.

use percent_encoding::percent_decode;

use crate::error::Rejection;

/// Decodes an `application/x-www-form-urlencoded` body into pairs sorted the way Twilio's
/// SDKs sort them: names ascending, and for each name its distinct values ascending.
/// Invalid percent-escapes are kept literally (as browsers do); decoded text that is not
/// UTF-8 is refused, so two different bodies never map to one signed string by lossy decoding.
pub(crate) fn sorted_params(body: &[u8]) -> Result<Vec<(String, String)>, Rejection> {
    let mut pairs = Vec::new();
    for item in body.split(|&b| b == b'&') {
        if item.is_empty() {
            continue;
        }
        let (name, value) = match item.iter().position(|&b| b == b'=') {
            Some(i) => (&item[..i], &item[i + 1..]),
            None => (item, &[][..]),
        };
        pairs.push((decode(name)?, decode(value)?));
    }
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

fn decode(raw: &[u8]) -> Result<String, Rejection> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8(percent_decode(&plus_as_space).collect())
        .map_err(|_| Rejection::MalformedPayload)
}

/// The value of `bodySHA256` in the URL's query, if any.
pub(crate) fn body_sha256_param(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
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
    fn params_sorted_and_decoded() {
        let p = sorted_params(b"To=%2B1800&From=%2B1234&Body=hi+there&Body=a").unwrap();
        let names: Vec<_> = p.iter().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(names, ["Body=a", "Body=hi there", "From=+1234", "To=+1800"]);
        assert_eq!(sorted_params(b"a=%ff"), Err(Rejection::MalformedPayload));
    }

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
