//! Core verification tests: one binary, one module per concern.

mod canary;
mod common;
mod headers;
mod mutations;
mod timestamps;
mod vectors;
