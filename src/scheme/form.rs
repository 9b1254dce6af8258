//! Form bodies (`application/x-www-form-urlencoded`) as a signed message part: decoded and
//! sorted the way Twilio's SDKs sort them (the `{twilio-params}` part of a scheme).

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
}
