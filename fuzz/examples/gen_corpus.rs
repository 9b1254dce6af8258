//! Writes the committed seed corpora under `fuzz/corpus/<target>/seed-*`.
//!
//! Run from `fuzz/`: `cargo run --example gen_corpus` (idempotent: it rewrites the seeds).
//! Every provider's seed is a delivery signed with the public `Signer`, at `TS`.

use std::fs;
use std::path::Path;

use hookguard::Provider;
use hookguard_fuzz::{ID, PATH, TS, body, infos, key_texts, render_request, sign, sign_body};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn main() {
    for info in infos() {
        let p = info.provider;
        let (headers, signed_body) = sign_body(p, &info.body, TS, ID).unwrap();
        let Some(sig_header) = &info.sig_header else {
            // Mailgun: SIG LF TS LF TOKEN, the texts of the body's signature object.
            let v: serde_json::Value = serde_json::from_slice(&signed_body).unwrap();
            let o = &v["signature"];
            let field = |n: &str| o[n].as_str().unwrap().to_owned();
            let s = [field("signature"), field("timestamp"), field("token")].join("\n");
            write("signature_header", p.name(), s.as_bytes());
            let mut h = headers.clone();
            h.insert("content-type", "application/json".parse().unwrap());
            write(
                "verify",
                p.name(),
                &render_request("POST", PATH, &h, &signed_body),
            );
            continue;
        };
        let get = |n: &Option<http::HeaderName>| {
            n.as_ref()
                .map(|n| headers[n].as_bytes().to_vec())
                .unwrap_or_default()
        };

        // signature_header: SIG LF TS LF ID
        let mut s = headers[sig_header].as_bytes().to_vec();
        s.push(b'\n');
        s.extend(get(&info.ts_header));
        s.push(b'\n');
        s.extend(get(&info.id_header));
        write("signature_header", p.name(), &s);

        // verify: HTTP-like text
        let mut h = headers.clone();
        if p == Provider::Twilio {
            h.insert(
                "content-type",
                "application/x-www-form-urlencoded".parse().unwrap(),
            );
        }
        write(
            "verify",
            p.name(),
            &render_request("POST", PATH, &h, &info.body),
        );
    }
    // A few malformed signature headers that reach the deeper branches.
    for (name, bytes) in [
        (
            "sw-two-sigs",
            &b"v1,AAAA v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\n1700000000\nmsg_1"[..],
        ),
        ("stripe-v0-only", b"t=1700000000,v0=00"),
        ("many-items", b"a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9"),
        (
            "hex-upper",
            b"sha256=ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
        ),
    ] {
        write("signature_header", name, bytes);
    }

    // timestamp: selector byte, then the text.
    let sel = [
        (0u8, "standard-webhooks"),
        (1, "svix"),
        (2, "slack"),
        (3, "zoom"),
        (4, "mailgun"),
    ];
    let texts: [(&str, &[u8]); 8] = [
        ("now", b"1700000000"),
        ("lo-edge", b"1699999700"),
        ("hi-edge", b"1700000300"),
        ("hi-out", b"1700000301"),
        ("leading-zero", b"01700000000"),
        ("i64-max", b"9223372036854775807"),
        ("i64-over", b"9223372036854775808"),
        ("signed", b"+1700000000"),
    ];
    for (s, pname) in sel {
        for (tname, t) in texts {
            // Keep it small: every text for Standard Webhooks, two per other provider.
            if s != 0 && !matches!(tname, "now" | "hi-out") {
                continue;
            }
            let mut b = vec![s];
            b.extend_from_slice(t);
            write("timestamp", &format!("{pname}-{tname}"), &b);
        }
    }

    // secret: every distinct key form, plus edge cases.
    let mut secrets: Vec<String> = key_texts().into_iter().map(String::from).collect();
    secrets.sort();
    secrets.dedup();
    secrets.extend(
        [
            "",
            "whsec_",
            "whsec_====",
            "whpk_",
            "zz",
            "\u{7f}token",
            "é",
            ":pass",
            "user:",
        ]
        .map(String::from),
    );
    for (i, s) in secrets.iter().enumerate() {
        write("secret", &format!("{i:02}"), s.as_bytes());
    }

    // tower_service: raw HTTP/1 streams.
    let raw = |path: &str, p: Provider, extra: &str| {
        let body = body(p);
        let headers = sign(p, &body, TS, ID).unwrap();
        let mut out = format!("POST {path} HTTP/1.1\r\nhost: hooks.example.com\r\n").into_bytes();
        for (n, v) in &headers {
            out.extend(format!("{n}: {}\r\n", v.to_str().unwrap()).bytes());
        }
        out.extend(extra.bytes());
        if extra.contains("chunked") {
            out.extend(format!("\r\n{:x}\r\n", body.len()).bytes());
            out.extend(&body);
            out.extend(b"\r\n0\r\n\r\n");
        } else {
            out.extend(format!("content-length: {}\r\n\r\n", body.len()).bytes());
            out.extend(&body);
        }
        out
    };
    let gh = raw(
        "/github",
        Provider::Github,
        "content-type: application/json\r\n",
    );
    write("tower_service", "github", &gh);
    let mut twice = gh.clone();
    twice.extend(&gh);
    write("tower_service", "github-pipelined-duplicate", &twice);
    write(
        "tower_service",
        "github-chunked",
        &raw(
            "/github",
            Provider::Github,
            "transfer-encoding: chunked\r\n",
        ),
    );
    write(
        "tower_service",
        "github-gzip",
        &raw("/github", Provider::Github, "content-encoding: gzip\r\n"),
    );
    write(
        "tower_service",
        "standard-webhooks",
        &raw("/standard-webhooks", Provider::StandardWebhooks, ""),
    );
    write(
        "tower_service",
        "stripe-xff",
        &raw(
            "/stripe",
            Provider::Stripe,
            "x-forwarded-for: 203.0.113.7, 10.0.0.1\r\nforwarded: for=\"[2001:db8::1]:443\"\r\n",
        ),
    );
    let twilio_path = format!("/twilio{}", &PATH["/webhook".len()..]);
    write(
        "tower_service",
        "twilio",
        &raw(
            &twilio_path,
            Provider::Twilio,
            "content-type: application/x-www-form-urlencoded\r\n",
        ),
    );
    write(
        "tower_service",
        "expect-continue-too-large",
        b"POST /github HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 999999999\r\n\r\n",
    );
    println!("seed corpora written");
}
