//! The durable inbox: acknowledge only what is on disk, then run the handler with retries.
//!
//! (Work in progress: issue 19, phase 1.)
