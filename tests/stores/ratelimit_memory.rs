//! The limiter's memory stays bounded: one million distinct client keys, then one retention
//! tick brings it back under 1 % (security.md P16).
#![cfg(feature = "pipeline")]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use hookguard::clock::ManualClock;
use hookguard::ratelimit::{ClientKey, RateLimit, RateLimiter};

#[test]
fn one_million_keys_are_reclaimed_after_one_tick() {
    let clock = ManualClock::default();
    let limit = RateLimit::per_second(10).unwrap().burst(20);
    let limiter = RateLimiter::with_clock(limit, RateLimit::per_minute(6).unwrap(), clock.clone())
        .tick_every(Duration::from_secs(60));
    let key = |n: u32| ClientKey::Ip(IpAddr::V4(Ipv4Addr::from(n)));
    for n in 0..1_000_000u32 {
        limiter
            .admit(&key(n))
            .expect("first request of a new client");
        if n % 4 == 0 {
            limiter.record_failure(&key(n));
        }
    }
    let peak = limiter.len();
    assert!(peak >= 1_000_000, "peak {peak}");
    // After the window has refilled every bucket, the next request runs the tick.
    clock.advance(limit.window() + Duration::from_secs(61));
    limiter.admit(&key(u32::MAX)).unwrap();
    let after = limiter.len();
    println!("tracked keys: peak {peak}, after one tick {after}");
    assert!(after < peak / 100, "after one tick: {after}");
}
