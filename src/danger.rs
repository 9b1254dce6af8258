//! The one fence around options that weaken a guarantee.
//!
//! Every builder with such an option has a `dangerous()` accessor returning [`Dangerous`],
//! whose methods set the option and hand the builder back, so the weakening is spelled out
//! where it is made (as rustls does with `dangerous()`):
//!
//! ```
//! use std::time::Duration;
//! use hookguard::{Provider, Verifier};
//!
//! let verifier = Verifier::builder(Provider::StandardWebhooks)
//!     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
//!     .dangerous()
//!     .unchecked_tolerance(Duration::from_secs(3 * 86_400)) // replaying recorded traffic
//!     .build()?;
//! # Ok::<(), hookguard::ConfigError>(())
//! ```
//!
//! | builder | dangerous option | what it gives up |
//! |---|---|---|
//! | `VerifierBuilder` | `unchecked_tolerance` | the 1 s – 1 day bounds on the timestamp window |
//! | `PipelineBuilder` | `disable_rate_limit`, `observe_only` | per-client limits; refusing unverified requests |
//! | `ReplayGuardBuilder` | `fail_open`, `disable_failure_backoff` | replay protection while the store is down; the cool-down after failures |
//!
//! [`trusted_replay_key`] builds a replay key from parts the caller vouches for, instead of
//! from a [`Verified`](crate::Verified) value.

use crate::replay::{KeyError, ReplayKey};
use crate::verified::DeliveryId;

/// A builder behind the fence: its methods set one dangerous option and return the builder.
#[derive(Debug)]
#[must_use = "a dangerous option does nothing until its method is called"]
pub struct Dangerous<B>(pub(crate) B);

/// A replay key from parts you vouch for: `id` must come from signed material of a delivery
/// whose signature verified, or forged traffic could fill the store and block future ids. For
/// custom pipelines, tests and benchmarks; prefer [`ReplayKey::new`].
///
/// ```
/// let id = hookguard::DeliveryId::new("msg_1").unwrap();
/// let key = hookguard::danger::trusted_replay_key("acme", "stripe", &id)?;
/// assert_eq!(key.as_str(), "acme/stripe/msg_1");
/// # Ok::<(), hookguard::replay::KeyError>(())
/// ```
pub fn trusted_replay_key(
    tenant: &str,
    provider: &str,
    id: &DeliveryId,
) -> Result<ReplayKey, KeyError> {
    ReplayKey::from_trusted_parts(tenant, provider, id)
}
