//! Scheme tests, one binary: custom scheme files (every preset re-expressed as a file), the
//! differential tests against independent implementations, the property tests, and
//! Wycheproof's HMAC and EdDSA vectors. One module per concern.

#[path = "../support/vector_case.rs"]
mod vector_case;

mod custom_schemes;
mod differential;
mod properties;
mod wycheproof;
