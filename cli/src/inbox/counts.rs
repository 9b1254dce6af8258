//! `hookguard inbox counts`: `<state> <n>` per state, then `total` and `bytes`.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::Failure;
use super::target::Target;

#[derive(Args)]
pub(crate) struct CountsArgs {
    #[command(flatten)]
    target: Target,
}

pub(crate) fn run(args: CountsArgs) -> Result<ExitCode, Failure> {
    let counts = args.target.open()?.counts()?;
    let mut out = std::io::stdout().lock();
    for (state, n) in counts["states"].as_object().into_iter().flatten() {
        let _ = writeln!(out, "{state} {n}");
    }
    let _ = writeln!(out, "total {}\nbytes {}", counts["total"], counts["bytes"]);
    Ok(ExitCode::SUCCESS)
}
