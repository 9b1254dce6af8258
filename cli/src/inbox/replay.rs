//! `hookguard inbox replay`: done or dead deliveries pending again, their history kept.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::Failure;
use super::target::{Filters, Target};
use crate::input::Usage;

#[derive(Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    target: Target,
    /// Provider delivery ids (every record under each), or `#<inbox-id>`s.
    ids: Vec<String>,
    /// Replay every dead delivery (that the filters select) instead.
    #[arg(long, conflicts_with = "ids")]
    dead: bool,
    /// With --dead: only list what would be replayed.
    #[arg(long, requires = "dead")]
    dry_run: bool,
    #[command(flatten)]
    filters: Filters,
}

pub(crate) fn run(args: ReplayArgs) -> Result<ExitCode, Failure> {
    if !args.dead && args.ids.is_empty() {
        return Err(Usage("give delivery ids, or --dead".into()).into());
    }
    let backend = args.target.open()?;
    let mut out = std::io::stdout().lock();
    if args.dead {
        let plan = backend.replay_dead(&args.filters, args.dry_run)?;
        let verb = if args.dry_run {
            "would replay"
        } else {
            "replayed"
        };
        for id in plan["ids"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "{verb} #{}", id.as_str().unwrap_or("?"));
        }
        let _ = writeln!(
            out,
            "{} dead deliveries selected, {} replayed",
            plan["ids"].as_array().map_or(0, Vec::len),
            plan["replayed"]
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut code = ExitCode::SUCCESS;
    for arg in &args.ids {
        let ids = match backend.resolve(arg) {
            Ok(ids) => ids,
            Err(Failure::Failed(message)) => {
                eprintln!("hookguard: {message}");
                code = ExitCode::FAILURE;
                continue;
            }
            Err(usage) => return Err(usage),
        };
        for id in ids {
            match backend.replay(id)? {
                None => {
                    let _ = writeln!(out, "replayed {arg} #{id}");
                }
                Some(state) => {
                    eprintln!(
                        "hookguard: {arg} #{id} is {state}: only done or dead deliveries replay"
                    );
                    code = ExitCode::FAILURE;
                }
            }
        }
    }
    Ok(code)
}
