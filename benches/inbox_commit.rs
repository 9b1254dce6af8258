//! Group-commit benchmark of the durable inbox (work in progress).
fn main() {}
