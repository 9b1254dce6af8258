//! Core verification tests: one binary, one module per concern.

mod canary;
mod common;
mod headers;
mod mutations;
mod reports;
mod timestamps;
#[path = "../support/vector_case.rs"]
mod vector_case;
mod vectors;
