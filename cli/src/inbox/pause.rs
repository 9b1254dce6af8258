//! `hookguard inbox pause|resume <route>`.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::Failure;
use super::target::Target;

#[derive(Args)]
pub(crate) struct RouteArgs {
    #[command(flatten)]
    target: Target,
    /// The route name.
    route: String,
}

pub(crate) fn run(args: RouteArgs, pause: bool) -> Result<ExitCode, Failure> {
    let backend = args.target.open()?;
    let moved = backend.set_paused(&args.route, pause)?;
    let line = if pause {
        format!("paused {} ({moved} held)", args.route)
    } else {
        format!("resumed {} ({moved} pending)", args.route)
    };
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    Ok(ExitCode::SUCCESS)
}
