//! [`DeadLetter`]: what the dead callback learns about a delivery that was given up.

use std::sync::Arc;

use crate::inbox::record::{DeliveryMeta, InboxId};
use crate::inbox::state::DeadReason;

/// The callback run when a delivery goes dead.
pub(crate) type DeadCallback = Arc<dyn Fn(&DeadLetter) + Send + Sync>;

/// A delivery that just went dead, as the dead callback sees it: enough to page someone and
/// to find it in the admin API. Never the body.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub(crate) id: InboxId,
    pub(crate) meta: DeliveryMeta,
    pub(crate) attempts: u32,
    pub(crate) reason: DeadReason,
    pub(crate) error: Option<String>,
}

impl DeadLetter {
    /// The inbox's id (for `replay`).
    pub fn id(&self) -> InboxId {
        self.id
    }
    /// Its verified metadata.
    pub fn meta(&self) -> &DeliveryMeta {
        &self.meta
    }
    /// Attempts made, every kind counted.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// Why it went dead.
    pub fn reason(&self) -> DeadReason {
        self.reason
    }
    /// The last attempt's error text, as recorded in the activity log.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}
