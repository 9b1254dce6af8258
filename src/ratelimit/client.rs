//! Who is calling: the client key a rate limit is charged to.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;
use http::header::FORWARDED;

use super::cidr::{IpNet, canonical, mask};

/// The key a client's rate is counted under.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientKey {
    /// An address, already grouped by prefix (IPv6 /64 by default).
    Ip(IpAddr),
    /// A key chosen by a custom function (e.g. a tenant).
    Custom(Arc<str>),
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::Ip(ip) => write!(f, "{ip}"),
            ClientKey::Custom(k) => f.write_str(k),
        }
    }
}

/// A custom client-key function: request head and peer address in, key out (`None`: no key).
pub type KeyFn =
    Arc<dyn Fn(&http::request::Parts, Option<IpAddr>) -> Option<ClientKey> + Send + Sync>;

/// How the client's address is found and grouped.
#[derive(Clone)]
pub struct ClientKeys {
    pub(crate) trusted: Vec<IpNet>,
    pub(crate) ipv4_prefix: u8,
    pub(crate) ipv6_prefix: u8,
    pub(crate) custom: Option<KeyFn>,
}

impl fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKeys")
            .field("trusted", &self.trusted)
            .field("ipv4_prefix", &self.ipv4_prefix)
            .field("ipv6_prefix", &self.ipv6_prefix)
            .field("custom", &self.custom.is_some())
            .finish()
    }
}

impl Default for ClientKeys {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            ipv4_prefix: 32,
            ipv6_prefix: 64,
            custom: None,
        }
    }
}

/// At most this many forwarded hops are read: a longer chain is cut, not walked.
const MAX_HOPS: usize = 32;

impl ClientKeys {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy, in which case the
    /// right-most address in `X-Forwarded-For` (or `Forwarded`) that is not itself trusted.
    /// Never the left-most entry, which the caller writes: only hops appended by trusted
    /// proxies are believed.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops = forwarded_hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.is_trusted(client) {
                        return client;
                    }
                }
                // An entry we cannot parse ends the chain of trust: keep the last trusted hop.
                None => return client,
            }
        }
        client
    }

    /// The key for a request: the custom function's, else the client address grouped by
    /// prefix. `None` when there is neither a custom key nor a peer address.
    pub fn key(&self, parts: &http::request::Parts, peer: Option<IpAddr>) -> Option<ClientKey> {
        if let Some(custom) = &self.custom {
            return custom(parts, peer);
        }
        let ip = self.client_ip(peer?, &parts.headers);
        let prefix = if ip.is_ipv4() {
            self.ipv4_prefix
        } else {
            self.ipv6_prefix
        };
        Some(ClientKey::Ip(mask(ip, prefix)))
    }
}

/// Addresses from `X-Forwarded-For` (all instances, in order), or else from `Forwarded`
/// `for=` parameters; `None` for an entry that is not an address. At most [`MAX_HOPS`],
/// keeping the right-most.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    let xff = headers.get_all("x-forwarded-for");
    if xff.iter().next().is_some() {
        for value in xff {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            hops.extend(text.split(',').map(|h| parse_hop(h.trim())));
        }
    } else {
        for value in headers.get_all(FORWARDED) {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            for element in text.split(',') {
                let node = element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.eq_ignore_ascii_case("for").then_some(v)
                });
                hops.push(node.and_then(|v| parse_hop(v.trim().trim_matches('"'))));
            }
        }
    }
    let excess = hops.len().saturating_sub(MAX_HOPS);
    hops.drain(..excess);
    hops
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(trusted: &[&str]) -> ClientKeys {
        ClientKeys {
            trusted: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            ..ClientKeys::default()
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn untrusted_peer_spoofing_is_ignored() {
        let k = keys(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 2.2.2.2")]);
        assert_eq!(
            k.client_ip("9.9.9.9".parse().unwrap(), &h),
            "9.9.9.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn trusted_chain_yields_the_rightmost_untrusted_hop() {
        let k = keys(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 7.7.7.7, 10.0.0.2")]);
        assert_eq!(
            k.client_ip("10.0.0.1".parse().unwrap(), &h),
            "7.7.7.7".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "7.7.7.7"),
        ]);
        assert_eq!(
            k.client_ip("10.0.0.1".parse().unwrap(), &h),
            "7.7.7.7".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8::7]:443";proto=https"#,
        )]);
        assert_eq!(
            k.client_ip("10.0.0.1".parse().unwrap(), &h),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("x-forwarded-for", "6.6.6.6, garbage, 10.0.0.3")]);
        assert_eq!(
            k.client_ip("10.0.0.1".parse().unwrap(), &h),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[]);
        assert_eq!(
            k.client_ip("10.0.0.1".parse().unwrap(), &h),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_is_grouped_by_prefix() {
        let k = ClientKeys::default();
        let parts = http::Request::new(()).into_parts().0;
        let a = k.key(&parts, Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = k.key(&parts, Some("2001:db8:1:2:ffff::9".parse().unwrap()));
        let c = k.key(&parts, Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mapped = k.key(&parts, Some("::ffff:1.2.3.4".parse().unwrap()));
        assert_eq!(mapped, Some(ClientKey::Ip("1.2.3.4".parse().unwrap())));
    }
}
