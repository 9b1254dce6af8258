//! `hookguard inbox list|show|replay|pause|resume|counts`: the durable inbox's admin
//! operations, offline on the store file (`--path F`, when no process holds it) or online
//! against a running receiver's admin listener (`--url U --token-env VAR`).
//!
//! Both modes print the same lines: the offline mode turns the library's answers into the
//! JSON the admin API sends ([`hookguard::inbox`]'s `to_json`), so one printer serves both.

mod client;
mod counts;
mod list;
mod pause;
mod replay;
mod show;
mod target;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::input::Usage;

#[derive(Args)]
pub(crate) struct InboxArgs {
    #[command(subcommand)]
    command: InboxCommand,
}

#[derive(Subcommand)]
enum InboxCommand {
    /// List deliveries, newest first: one line each, `<delivery-id> <state> <attempts>
    /// #<inbox-id> <route> <provider> <received-at>`.
    List(list::ListArgs),
    /// Show one delivery with its attempts (its headers and body only with --body).
    Show(show::ShowArgs),
    /// Make done or dead deliveries pending again (by delivery id, or `#<inbox-id>`), or
    /// every dead one with --dead.
    Replay(replay::ReplayArgs),
    /// Pause a route: its deliveries are held (still received and acknowledged).
    Pause(pause::RouteArgs),
    /// Resume a paused route: its held deliveries are pending again.
    Resume(pause::RouteArgs),
    /// Deliveries per state, and the bytes used.
    Counts(counts::CountsArgs),
}

/// Runs an inbox subcommand: exit 0 on success, 1 when the operation failed (store in
/// use, not found, refused), 2 on a usage error.
pub(crate) fn run(args: InboxArgs) -> Result<ExitCode, Usage> {
    let result = match args.command {
        InboxCommand::List(a) => list::run(a),
        InboxCommand::Show(a) => show::run(a),
        InboxCommand::Replay(a) => replay::run(a),
        InboxCommand::Pause(a) => pause::run(a, true),
        InboxCommand::Resume(a) => pause::run(a, false),
        InboxCommand::Counts(a) => counts::run(a),
    };
    match result {
        Ok(code) => Ok(code),
        Err(Failure::Usage(usage)) => Err(usage),
        Err(Failure::Failed(message)) => {
            eprintln!("hookguard: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Why a subcommand stopped.
pub(crate) enum Failure {
    /// Bad arguments: exit 2.
    Usage(Usage),
    /// The operation failed: exit 1.
    Failed(String),
}

impl From<Usage> for Failure {
    fn from(usage: Usage) -> Self {
        Failure::Usage(usage)
    }
}

pub(crate) fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(message.into())
}

/// A Unix-millisecond time as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub(crate) fn utc(millis: u64) -> String {
    let secs = millis / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        millis % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_unix_millis() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::utc(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
