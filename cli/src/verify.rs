//! `hookguard verify`: `ok <delivery-id>` (exit 0) or the rejection code (exit 1).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use hookguard::Verifier;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use crate::input::{SchemeSource, SecretSource, Usage, read_body, read_secrets, scheme};

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    scheme: SchemeSource,
    #[command(flatten)]
    secrets: SecretSource,
    /// A received header, `Name: value` (repeat for each).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Full URL the delivery was sent to (Twilio, Square).
    #[arg(long)]
    url: Option<String>,
    /// HTTP method (default POST).
    #[arg(long, default_value = "POST")]
    method: String,
    /// Verify as if the time were this Unix timestamp.
    #[arg(long)]
    now: Option<u64>,
    /// Timestamp tolerance in seconds (1 to 86400; default 300).
    #[arg(long)]
    tolerance: Option<u64>,
    /// Body file (default: stdin).
    #[arg(long)]
    body_file: Option<PathBuf>,
}

pub(crate) fn run(args: VerifyArgs) -> Result<ExitCode, Usage> {
    let scheme = scheme(&args.scheme)?;
    let secrets = read_secrets(&args.secrets)?;
    let mut builder = Verifier::builder(scheme).secrets(secrets.iter().map(String::as_str));
    if let Some(secs) = args.tolerance {
        builder = builder.tolerance(Duration::from_secs(secs));
    }
    let uri: Uri = match &args.url {
        Some(url) => {
            let uri: Uri = url
                .parse()
                .map_err(|_| Usage(format!("invalid --url {url:?}")))?;
            if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
                builder = builder.public_origin(&format!("{scheme}://{authority}"));
            }
            uri
        }
        None => Uri::from_static("/"),
    };
    let verifier = builder.build()?;
    let mut headers = HeaderMap::new();
    for line in &args.headers {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Usage(format!("--header needs `Name: value`, got {line:?}")))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Usage(format!("invalid header name in {line:?}")))?;
        let value = HeaderValue::from_bytes(value.trim().as_bytes())
            .map_err(|_| Usage(format!("invalid header value for {name}")))?;
        headers.append(name, value);
    }
    let method = Method::from_bytes(args.method.as_bytes())
        .map_err(|_| Usage(format!("invalid --method {:?}", args.method)))?;
    let now = match args.now {
        Some(secs) => UNIX_EPOCH + Duration::from_secs(secs),
        None => SystemTime::now(),
    };
    let body = read_body(&args.body_file)?;
    match verifier.verify_at(&method, &uri, &headers, &body, now) {
        Ok(verified) => {
            println!("ok {}", verified.delivery_id());
            Ok(ExitCode::SUCCESS)
        }
        Err(rejection) => {
            eprintln!("{}", rejection.code());
            Ok(ExitCode::from(1))
        }
    }
}
