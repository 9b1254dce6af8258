//! The `hookguard` binary: listing, sign → verify round trips, exit codes, no secret echo.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookguard"))
        .args(args)
        .env("HG_TEST_SECRET", "from-the-environment")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn providers_lists_every_preset_by_name() {
    let out = run(&["providers"], b"");
    assert!(out.status.success());
    let names: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<String> = hookguard::Provider::ALL
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(names, expected);
    for n in [
        "standard-webhooks",
        "svix",
        "stripe",
        "github",
        "slack",
        "shopify",
        "gitlab",
        "twilio",
        "discord",
        "linear",
        "paddle",
        "square",
        "zoom",
    ] {
        assert!(names.iter().any(|x| x == n), "{n}");
    }
}

#[test]
fn sign_then_verify_round_trips_and_tampering_exits_1() {
    let body = br#"{"hello":"world"}"#;
    let signed = run(
        &[
            "sign",
            "--provider",
            "standard-webhooks",
            "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--id",
            "msg_cli",
            "--timestamp",
            "1700000000",
        ],
        body,
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let lines = text(&signed.stdout);
    let mut args = vec![
        "verify",
        "--provider",
        "standard-webhooks",
        "--secret",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "--now",
        "1700000010",
    ];
    let headers: Vec<String> = lines.lines().map(str::to_owned).collect();
    assert_eq!(headers.len(), 3, "{lines}");
    for h in &headers {
        args.push("--header");
        args.push(h);
    }
    let ok = run(&args, body);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout).trim(), "ok msg_cli");

    let bad = run(&args, br#"{"hello":"World"}"#);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(text(&bad.stderr).trim(), "signature_mismatch");

    let mut stale = args.clone();
    let pos = stale.iter().position(|a| *a == "1700000010").unwrap();
    stale[pos] = "1700000301";
    let out = run(&stale, body);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "timestamp_out_of_window");
}

#[test]
fn secrets_come_from_env_and_files_and_are_never_echoed() {
    let dir = std::env::temp_dir().join(format!("hookguard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, "from-a-file\n").unwrap();
    let body = b"Hello, World!";
    for source in [
        ["--secret-env", "HG_TEST_SECRET"],
        ["--secret-file", file.to_str().unwrap()],
    ] {
        let signed = run(
            &["sign", "--provider", "github", source[0], source[1]],
            body,
        );
        assert!(signed.status.success());
        let header = text(&signed.stdout).trim().to_owned();
        let ok = run(
            &[
                "verify",
                "--provider",
                "github",
                source[0],
                source[1],
                "--header",
                &header,
            ],
            body,
        );
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
        let wrong = run(
            &[
                "verify",
                "--provider",
                "github",
                "--secret",
                "other",
                "--header",
                &header,
            ],
            body,
        );
        assert_eq!(wrong.status.code(), Some(1));
        for out in [&signed, &ok, &wrong] {
            let all = text(&out.stdout) + &text(&out.stderr);
            assert!(
                !all.contains("from-the-environment") && !all.contains("from-a-file"),
                "{all}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    for args in [
        &["verify"][..],
        &["verify", "--provider", "nope", "--secret", "x"],
        &["verify", "--provider", "github"],
        &["verify", "--provider", "github", "--secret", " padded"],
        &[
            "verify",
            "--provider",
            "github",
            "--secret",
            "x",
            "--tolerance",
            "0",
        ],
        &["verify", "--provider", "twilio", "--secret", "x"],
        &[
            "sign",
            "--provider",
            "standard-webhooks",
            "--secret",
            "whsec_!!",
        ],
        &["bogus"],
    ] {
        let out = run(args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn twilio_official_vector_through_the_cli() {
    let body = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
    let out = run(
        &[
            "verify",
            "--provider",
            "twilio",
            "--secret",
            "12345",
            "--url",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            "--header",
            "X-Twilio-Signature: 0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        ],
        body,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Mailgun has no signature header: `sign` prints the signed body (the input JSON object
/// with the signature object added), and `verify` reads it like any body. The values are
/// mailgun-php's `testVerifyWebhookGood` vector.
#[test]
fn mailgun_signs_into_the_body_and_verifies_through_the_cli() {
    let key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
    let token = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6";
    let input = br#"{"event-data":{"event":"delivered"}}"#;
    let signed = run(
        &[
            "sign",
            "--provider",
            "mailgun",
            "--secret",
            key,
            "--id",
            token,
            "--timestamp",
            "1403645220",
        ],
        input,
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let body = signed.stdout;
    assert_eq!(
        text(&body),
        format!(
            r#"{{"signature":{{"timestamp":"1403645220","token":"{token}","signature":"9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"}},"event-data":{{"event":"delivered"}}}}"#
        )
    );
    let verify = |provider: &[&str], now: &str, body: &[u8]| {
        let mut args = vec!["verify"];
        args.extend_from_slice(provider);
        args.extend_from_slice(&["--secret", key, "--now", now]);
        run(&args, body)
    };
    let scheme_file = manifest_path("tests/scheme_files/mailgun.toml");
    for provider in [
        &["--provider", "mailgun"][..],
        &["--scheme-file", &scheme_file],
    ] {
        let ok = verify(provider, "1403645230", &body);
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
        assert_eq!(text(&ok.stdout).trim(), format!("ok {token}"));
        let stale = verify(provider, "1403645521", &body);
        assert_eq!(stale.status.code(), Some(1));
        assert_eq!(text(&stale.stderr).trim(), "timestamp_out_of_window");
        let forged = text(&body).replace(&token[..4], "6egb");
        let out = verify(provider, "1403645230", forged.as_bytes());
        assert_eq!(text(&out.stderr).trim(), "signature_mismatch");
        let out = verify(provider, "1403645230", input);
        assert_eq!(text(&out.stderr).trim(), "missing_signature");
    }
    // A body that already carries a signature object, or is not a JSON object: exit 2.
    for bad in [&body[..], b"[1]"] {
        let out = run(
            &[
                "sign",
                "--provider",
                "mailgun",
                "--secret",
                key,
                "--id",
                token,
            ],
            bad,
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(!text(&out.stderr).contains(key));
    }
}

/// A path in the repository (the library's directory, one above this package's).
fn manifest_path(rel: &str) -> String {
    format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Signs `body` with `sign_args`, then verifies it with `verify_args` plus the signed headers.
fn sign_then_verify(sign_args: &[&str], verify_args: &[&str], body: &[u8]) -> Output {
    let signed = run(sign_args, body);
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let lines = text(&signed.stdout);
    let mut args: Vec<&str> = verify_args.to_vec();
    for h in lines.lines() {
        args.push("--header");
        args.push(h);
    }
    run(&args, body)
}

#[test]
fn a_scheme_file_signs_and_verifies_in_place_of_a_provider() {
    let toml = manifest_path("examples/custom_scheme.toml");
    let json = manifest_path("examples/custom_scheme.json");
    let body = br#"{"event":"ping"}"#;
    let sign = [
        "sign",
        "--scheme-file",
        &toml,
        "--secret",
        "acme-secret",
        "--id",
        "evt_cli",
        "--timestamp",
        "1700000000",
    ];
    for file in [&toml, &json] {
        let verify = [
            "verify",
            "--scheme-file",
            file,
            "--secret",
            "acme-secret",
            "--now",
            "1700000005",
        ];
        let ok = sign_then_verify(&sign, &verify, body);
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
        assert_eq!(text(&ok.stdout).trim(), "ok evt_cli");
    }
    let signed = run(&sign, body);
    let headers = text(&signed.stdout);
    assert!(headers.contains("x-acme-signature: v1="), "{headers}");
    assert!(
        headers.contains("x-acme-timestamp: 1700000000"),
        "{headers}"
    );
    let mut args = vec![
        "verify",
        "--scheme-file",
        &toml,
        "--secret",
        "acme-secret",
        "--now",
        "1700000005",
    ];
    for h in headers.lines() {
        args.push("--header");
        args.push(h);
    }
    let tampered = run(&args, br#"{"event":"pong"}"#);
    assert_eq!(tampered.status.code(), Some(1));
    assert_eq!(text(&tampered.stderr).trim(), "signature_mismatch");
}

#[test]
fn a_presets_scheme_file_verifies_what_the_preset_signs() {
    let body = br#"{"id":"evt_1","object":"event"}"#;
    let sign = [
        "sign",
        "--provider",
        "stripe",
        "--secret",
        "whsec_test_secret",
        "--timestamp",
        "1700000000",
    ];
    let by_provider = sign_then_verify(
        &sign,
        &[
            "verify",
            "--provider",
            "stripe",
            "--secret",
            "whsec_test_secret",
            "--now",
            "1700000000",
        ],
        body,
    );
    let file = manifest_path("tests/scheme_files/stripe.toml");
    let by_file = sign_then_verify(
        &sign,
        &[
            "verify",
            "--scheme-file",
            &file,
            "--secret",
            "whsec_test_secret",
            "--now",
            "1700000000",
        ],
        body,
    );
    assert_eq!(by_file.status.code(), Some(0), "{}", text(&by_file.stderr));
    assert_eq!(text(&by_file.stdout), text(&by_provider.stdout));
    assert!(text(&by_file.stdout).starts_with("ok sha256:"));
}

#[test]
fn exactly_one_of_provider_and_scheme_file_else_exit_2() {
    let file = manifest_path("tests/scheme_files/github.toml");
    for cmd in ["sign", "verify"] {
        let both = run(
            &[
                cmd,
                "--provider",
                "github",
                "--scheme-file",
                &file,
                "--secret",
                "k",
            ],
            b"",
        );
        assert_eq!(both.status.code(), Some(2), "{cmd}: {}", text(&both.stderr));
        let neither = run(&[cmd, "--secret", "k"], b"");
        assert_eq!(
            neither.status.code(),
            Some(2),
            "{cmd}: {}",
            text(&neither.stderr)
        );
    }
}

#[test]
fn a_bad_scheme_file_exits_2_naming_the_file_field_and_line() {
    let dir = std::env::temp_dir().join(format!("hookguard-cli-scheme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(manifest_path("examples/custom_scheme.toml")).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        good.replace("unit = \"seconds\"", "unit = \"minutes\""),
    )
    .unwrap();
    let line = good[..good.find("unit = \"seconds\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let bad = bad.to_str().unwrap();
    for cmd in ["sign", "verify"] {
        let out = run(&[cmd, "--scheme-file", bad, "--secret", "k"], b"");
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{bad}: line {line}: timestamp.unit: unknown unit")),
            "{err}"
        );
    }
    let missing = dir.join("missing.toml");
    let out = run(
        &[
            "verify",
            "--scheme-file",
            missing.to_str().unwrap(),
            "--secret",
            "k",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
