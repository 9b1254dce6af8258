//! Time as the crate reads it: an injectable monotonic [`clock`] (so tests never sleep) and
//! the deadlines that bound body reads, store calls and handlers.

pub mod clock;
pub(crate) mod deadline;
