//! `hookguard sign`: the headers (or, for schemes that sign inside the body, the body) that
//! sign a delivery.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hookguard::{Delivery, Signer};

use crate::input::{SchemeSource, SecretSource, Usage, read_body, read_secrets, scheme};

#[derive(Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    scheme: SchemeSource,
    #[command(flatten)]
    secrets: SecretSource,
    /// Delivery id, for schemes that sign one (mailgun: the token).
    #[arg(long)]
    id: Option<String>,
    /// Unix timestamp in seconds (default: now).
    #[arg(long)]
    timestamp: Option<i64>,
    /// Full URL the delivery goes to (Twilio, Square).
    #[arg(long)]
    url: Option<String>,
    /// Body file (default: stdin).
    #[arg(long)]
    body_file: Option<PathBuf>,
}

pub(crate) fn run(args: SignArgs) -> Result<ExitCode, Usage> {
    let scheme = scheme(&args.scheme)?;
    let secrets = read_secrets(&args.secrets)?;
    let [secret] = secrets.as_slice() else {
        return Err(Usage("sign takes exactly one secret".into()));
    };
    let secret = scheme.parse_signing_secret(secret)?;
    let in_body = scheme.signature_in_body();
    let signer = Signer::builder(scheme).key(secret).build()?;
    let mut delivery = Delivery::new(read_body(&args.body_file)?);
    if let Some(id) = args.id {
        delivery = delivery.id(id);
    }
    if let Some(ts) = args.timestamp {
        delivery = delivery.timestamp(ts);
    }
    if let Some(url) = args.url {
        delivery = delivery.url(url);
    }
    let hookguard::Signed { headers, body, .. } = signer.sign_with_body(&delivery)?;
    let mut out = std::io::stdout().lock();
    if in_body {
        out.write_all(&body)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (name, value) in &headers {
        let value = value
            .to_str()
            .map_err(|_| Usage("non-ASCII header".into()))?;
        writeln!(out, "{name}: {value}")?;
    }
    Ok(ExitCode::SUCCESS)
}
