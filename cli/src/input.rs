//! What the subcommands share: where secrets, the scheme and the body come from, and the
//! usage error (exit 2).

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use hookguard::{Provider, Scheme};

/// A usage or configuration problem: exit 2.
pub(crate) struct Usage(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Self {
        Usage(e.to_string())
    }
}

#[derive(Args)]
pub(crate) struct SecretSource {
    /// The secret (visible in the process list: prefer --secret-env or --secret-file).
    #[arg(long)]
    secret: Vec<String>,
    /// Name of an environment variable holding the secret.
    #[arg(long)]
    secret_env: Vec<String>,
    /// File holding the secret (one trailing newline is ignored).
    #[arg(long)]
    secret_file: Vec<PathBuf>,
}

/// Exactly one of `--provider` and `--scheme-file`.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct SchemeSource {
    /// Provider name (see `hookguard providers`).
    #[arg(long)]
    provider: Option<String>,
    /// A custom scheme file (`.toml` or `.json`; see `Scheme::from_toml`), in place of
    /// --provider.
    #[arg(long, value_name = "FILE")]
    scheme_file: Option<PathBuf>,
}

pub(crate) fn read_secrets(src: &SecretSource) -> Result<Vec<String>, Usage> {
    let mut out = src.secret.clone();
    for var in &src.secret_env {
        out.push(
            std::env::var(var)
                .map_err(|_| Usage(format!("environment variable {var} is not set")))?,
        );
    }
    for file in &src.secret_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Usage(format!("cannot read secret file {}: {e}", file.display())))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        out.push(text.to_owned());
    }
    if out.is_empty() {
        return Err(Usage("give --secret, --secret-env or --secret-file".into()));
    }
    Ok(out)
}

pub(crate) fn read_body(file: &Option<PathBuf>) -> Result<Vec<u8>, Usage> {
    match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| Usage(format!("cannot read body file {}: {e}", path.display()))),
        None => {
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body)?;
            Ok(body)
        }
    }
}

fn provider(name: &str) -> Result<Provider, Usage> {
    name.parse().map_err(|_| {
        Usage(format!(
            "unknown provider {name:?}; see `hookguard providers`"
        ))
    })
}

pub(crate) fn scheme(src: &SchemeSource) -> Result<Scheme, Usage> {
    match (&src.provider, &src.scheme_file) {
        (Some(name), None) => Ok(provider(name)?.scheme()),
        (None, Some(file)) => Ok(Scheme::from_file(file)?),
        _ => Err(Usage(
            "give exactly one of --provider and --scheme-file".into(),
        )),
    }
}
