//! `hookguard`: sign and verify webhook deliveries from a terminal.
//!
//! Exit codes: 0 success, 1 rejected delivery, 2 usage or configuration error.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use hookguard::{Delivery, Provider, Scheme, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

#[derive(Parser)]
#[command(
    name = "hookguard",
    version,
    about = "Sign and verify webhook deliveries"
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
    Sign(SignArgs),
    /// Verify a delivery: prints `ok <delivery-id>` (exit 0) or the rejection code (exit 1).
    Verify(VerifyArgs),
}

#[derive(Args)]
struct SecretSource {
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
struct SchemeSource {
    /// Provider name (see `hookguard providers`).
    #[arg(long)]
    provider: Option<String>,
    /// A custom scheme file (`.toml` or `.json`; see `Scheme::from_toml`), in place of
    /// --provider.
    #[arg(long, value_name = "FILE")]
    scheme_file: Option<PathBuf>,
}

#[derive(Args)]
struct SignArgs {
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

#[derive(Args)]
struct VerifyArgs {
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

/// A usage or configuration problem: exit 2.
struct Usage(String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Self {
        Usage(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Providers => {
            let mut out = std::io::stdout().lock();
            for p in Provider::ALL {
                let _ = writeln!(out, "{p}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign(args) => sign(args),
        Command::Verify(args) => verify(args),
    };
    match result {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("hookguard: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_secrets(src: &SecretSource) -> Result<Vec<String>, Usage> {
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

fn read_body(file: &Option<PathBuf>) -> Result<Vec<u8>, Usage> {
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

fn scheme(src: &SchemeSource) -> Result<Scheme, Usage> {
    match (&src.provider, &src.scheme_file) {
        (Some(name), None) => Ok(provider(name)?.scheme()),
        (None, Some(file)) => Ok(Scheme::from_file(file)?),
        _ => Err(Usage(
            "give exactly one of --provider and --scheme-file".into(),
        )),
    }
}

fn sign(args: SignArgs) -> Result<ExitCode, Usage> {
    let scheme = scheme(&args.scheme)?;
    let secrets = read_secrets(&args.secrets)?;
    let [secret] = secrets.as_slice() else {
        return Err(Usage("sign takes exactly one secret".into()));
    };
    let secret = scheme.parse_signing_secret(secret)?;
    let in_body = scheme.signature_in_body();
    let signer = Signer::with_secret(scheme, secret)?;
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
    let (headers, body) = signer.sign_with_body(&delivery)?;
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

fn verify(args: VerifyArgs) -> Result<ExitCode, Usage> {
    let scheme = scheme(&args.scheme)?;
    let secrets = read_secrets(&args.secrets)?;
    let mut builder = Verifier::builder_for(scheme).secrets(secrets.iter().map(String::as_str));
    if let Some(secs) = args.tolerance {
        builder = builder.tolerance(Duration::from_secs(secs));
    }
    let uri: Uri = match &args.url {
        Some(url) => {
            let uri: Uri = url
                .parse()
                .map_err(|_| Usage(format!("invalid --url {url:?}")))?;
            if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
                builder = builder.public_url(&format!("{scheme}://{authority}"));
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
