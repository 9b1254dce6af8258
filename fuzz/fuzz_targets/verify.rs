//! The full verify path: arbitrary method, URI, headers (duplicates allowed) and body, for
//! every provider in `Provider::ALL`.
//!
//! Input: HTTP-like text, see `hookguard_fuzz::parse_request`:
//! `METHOD SP URI LF (NAME: VALUE LF)* LF BODY`.
//!
//! Checks: `verify_at` (fixed clock `TS`) returns without panicking for every provider, and
//! never accepts under a verifier whose secret is random.
#![no_main]

use hookguard_fuzz::{infos, now, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = parse_request(data);
    for info in infos() {
        let _ = info
            .verifier
            .verify_at(&r.method, &r.uri, &r.headers, &r.body, now());
        let forged = info
            .random_verifier
            .verify_at(&r.method, &r.uri, &r.headers, &r.body, now());
        assert!(
            forged.is_err(),
            "{}: verified under a random secret",
            info.provider
        );
    }
});
