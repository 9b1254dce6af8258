//! The `hookguard` binary: listing, sign → verify round trips, exit codes, no secret echo.
#![cfg(feature = "cli")]

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
