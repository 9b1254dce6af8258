//! `hookguard`: sign and verify webhook deliveries from a terminal, and administer the
//! durable inbox (`hookguard inbox`).
//!
//! Exit codes: 0 success, 1 rejected delivery, 2 usage or configuration error.
//!
//! One module per subcommand, each with its arguments and a `run` returning the exit code;
//! [`input`] holds what they share (secrets, scheme, body, the usage error). A new subcommand
//! is a module, a variant of [`Command`] and an arm in `main`.

mod inbox;
mod input;
mod providers;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::input::Usage;

#[derive(Parser)]
#[command(
    name = "hookguard",
    version,
    about = "Sign and verify webhook deliveries; administer the durable inbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the provider presets, one per line.
    Providers,
    /// Print the headers that sign a delivery, one `Name: value` per line. For schemes whose
    /// signature travels inside the JSON body (mailgun), print the signed body instead: the
    /// input body (a JSON object) with the signature object added, exactly as to send it.
    Sign(sign::SignArgs),
    /// Verify a delivery: prints `ok <delivery-id>` (exit 0) or the rejection code (exit 1).
    Verify(verify::VerifyArgs),
    /// The durable inbox: list, show, replay, pause, resume (offline on the store file with
    /// --path, or online against a receiver's admin listener with --url).
    Inbox(inbox::InboxArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Providers => providers::run(),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Inbox(args) => inbox::run(args),
    };
    match result {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("hookguard: {message}");
            ExitCode::from(2)
        }
    }
}
