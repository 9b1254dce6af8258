//! Empty: this package only holds the peer benchmark.
