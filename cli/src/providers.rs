//! `hookguard providers`: the provider presets, one per line.

use std::io::Write;
use std::process::ExitCode;

use hookguard::Provider;

use crate::input::Usage;

pub(crate) fn run() -> Result<ExitCode, Usage> {
    let mut out = std::io::stdout().lock();
    for p in Provider::ALL {
        let _ = writeln!(out, "{p}");
    }
    Ok(ExitCode::SUCCESS)
}
