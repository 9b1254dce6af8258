//! The small vocabularies of the inbox: [`State`], [`DeadReason`], [`Trigger`].

/// Defines `as_str`, a one-byte storage code, `Display` and `FromStr` for a fieldless enum,
/// so that every vocabulary is written down once with its names and codes.
macro_rules! named_codes {
    ($name:ident { $($variant:ident = $code:literal, $text:literal;)+ }) => {
        impl $name {
            /// The name used in logs, the admin API and the command line.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            /// The byte a store records.
            #[allow(dead_code)]
            pub(crate) fn code(self) -> u8 {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The value a stored byte stands for.
            #[allow(dead_code)]
            pub(crate) fn from_code(code: u8) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = super::error::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)+ _ => Err(super::error::UnknownName) }
            }
        }
    };
}
pub(crate) use named_codes;

/// Where a delivery is in its life.
///
/// ```text
/// receipt ─► pending ─lease─► processing ─ok─► done
///               ▲                 │ retryable error, timeout, lease lost
///               └─── retry at ◄───┘
///            processing ─permanent error, schedule spent, too old─► dead
///  pending ─route paused─► held ─resume─► pending
///  done | dead ─replay─► pending (history kept)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Waiting for its next attempt (due now or at a retry time).
    Pending,
    /// A worker holds a lease on it and runs the handler.
    Processing,
    /// The handler succeeded: the done mark, written once.
    Done,
    /// Given up (permanent error, schedule spent or too old); an operator may replay it.
    Dead,
    /// Its route is paused; resuming the route makes it pending.
    Held,
}

named_codes!(State {
    Pending = 1, "pending";
    Processing = 2, "processing";
    Done = 3, "done";
    Dead = 4, "dead";
    Held = 5, "held";
});

impl State {
    /// Every state, in the order above.
    pub const ALL: [State; 5] = [
        State::Pending,
        State::Processing,
        State::Done,
        State::Dead,
        State::Held,
    ];

    /// `true` for done and dead: the states that retention prunes and replay restarts.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Done | State::Dead)
    }
}

/// Why a delivery went dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeadReason {
    /// The handler returned a permanent error.
    Permanent,
    /// Every attempt of the retry schedule failed.
    ScheduleSpent,
    /// The next attempt would have been later than the maximum age.
    MaxAge,
}

named_codes!(DeadReason {
    Permanent = 1, "permanent";
    ScheduleSpent = 2, "schedule_spent";
    MaxAge = 3, "max_age";
});

/// What started an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trigger {
    /// The first attempt after the receipt.
    Initial,
    /// A retry after a failed, timed-out or interrupted attempt.
    Retry,
    /// The first attempt after an operator's replay.
    Replay,
}

named_codes!(Trigger {
    Initial = 1, "initial";
    Retry = 2, "retry";
    Replay = 3, "replay";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
            assert_eq!(State::from_code(state.code()), Some(state));
        }
        assert!("Pending".parse::<State>().is_err());
        assert_eq!(State::from_code(0), None);
        for reason in [
            DeadReason::Permanent,
            DeadReason::ScheduleSpent,
            DeadReason::MaxAge,
        ] {
            assert_eq!(DeadReason::from_code(reason.code()), Some(reason));
            assert_eq!(reason.to_string().parse::<DeadReason>(), Ok(reason));
        }
        assert!(State::Done.is_terminal() && !State::Held.is_terminal());
    }
}
