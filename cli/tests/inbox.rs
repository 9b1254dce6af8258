//! `hookguard inbox`: offline on a real redb store file made through the library (list
//! format, state filter, show, replay dead → pending, pause/resume, the in-use message),
//! and online against the admin router on a loopback listener.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bytes::Bytes;
use hookguard::inbox::{HandlerError, Inbox, InboxDelivery, InboxId, Receipt, State};
use hookguard::{Delivery, Provider, Signer, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "cli-admin-token-41e7";

fn hookguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookguard"))
        .args(args)
        .env("HG_CLI_TOKEN", TOKEN)
        .env("HG_WRONG_TOKEN", "not-the-token")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store file in the temp dir, removed on drop.
struct Store(PathBuf);

impl Store {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("hookguard-cli-{}-{name}.redb", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Store(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn receipt(route: &str, id: &str, body: &[u8]) -> Receipt {
    let body = Bytes::copy_from_slice(body);
    let headers = Signer::new(Provider::StandardWebhooks, SECRET)
        .unwrap()
        .sign(&Delivery::new(body.clone()).id(id))
        .unwrap();
    let verified = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap()
        .verify(
            &http::Method::POST,
            &"/hook".parse().unwrap(),
            &headers,
            &body,
        )
        .unwrap();
    Receipt::new(route, "", &verified, body).unwrap()
}

async fn fail_on_request(d: InboxDelivery) -> Result<(), HandlerError> {
    if d.body().windows(4).any(|w| w == b"fail") {
        return Err(HandlerError::permanent("refused by the test handler"));
    }
    Ok(())
}

/// Three deliveries on route `billing`: msg_a done, msg_b dead, msg_c pending.
async fn fill(inbox: &Inbox) -> [InboxId; 3] {
    let worker = inbox
        .worker()
        .route("billing", fail_on_request)
        .build()
        .unwrap();
    let a = inbox
        .receive(receipt(
            "billing",
            "msg_a",
            br#"{"n":1,"secret":"CANARYcli"}"#,
        ))
        .await
        .unwrap()
        .id();
    let b = inbox
        .receive(receipt("billing", "msg_b", br#"{"fail":true}"#))
        .await
        .unwrap()
        .id();
    worker.tick().await.unwrap();
    let c = inbox
        .receive(receipt("billing", "msg_c", br#"{"n":3}"#))
        .await
        .unwrap()
        .id();
    assert_eq!(inbox.show(b).await.unwrap().summary().state(), State::Dead);
    [a, b, c]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn make_store(name: &str) -> (Store, [InboxId; 3]) {
    let store = Store::new(name);
    let ids = runtime().block_on(async {
        let inbox = Inbox::open(&store.0).unwrap();
        fill(&inbox).await
    });
    (store, ids)
}

/// The first three words of each line.
fn heads(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .collect()
}

fn states(path: &Path) -> Vec<(String, State)> {
    runtime().block_on(async {
        let inbox = Inbox::open(path).unwrap();
        let page = inbox.list(Default::default()).await.unwrap();
        page.items()
            .iter()
            .map(|s| (s.meta().delivery_id().to_string(), s.state()))
            .collect()
    })
}

#[test]
fn offline_list_show_replay_pause_resume() {
    let (store, [a, b, c]) = make_store("offline");
    let f = store.path();

    let out = hookguard(&["inbox", "list", "--path", f]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        heads(&text),
        ["msg_c pending 0", "msg_b dead 1", "msg_a done 1"],
        "{text}"
    );
    let first = text.lines().next().unwrap();
    assert!(
        first.contains(&format!(" #{c} billing standard-webhooks 20")),
        "{first}"
    );
    assert!(
        text.lines().nth(1).unwrap().ends_with(" dead=permanent"),
        "{text}"
    );
    assert!(!text.contains("CANARY"), "list prints a body: {text}");

    let dead = stdout(&hookguard(&[
        "inbox", "list", "--path", f, "--state", "dead",
    ]));
    assert_eq!(heads(&dead), ["msg_b dead 1"]);
    let limited = stdout(&hookguard(&["inbox", "list", "--path", f, "--limit", "2"]));
    assert_eq!(limited.lines().count(), 2);
    let json = stdout(&hookguard(&[
        "inbox", "list", "--path", f, "--json", "--state", "done",
    ]));
    let item: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        (item["id"].as_str(), item["delivery_id"].as_str()),
        (Some(a.to_string().as_str()), Some("msg_a"))
    );
    let bad = hookguard(&["inbox", "list", "--path", f, "--state", "gone"]);
    assert_eq!(bad.status.code(), Some(2));

    // Show: attempts, no body unless asked.
    let shown = hookguard(&["inbox", "show", "--path", f, "msg_b"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(text.contains(&format!("inbox id:     #{b}")), "{text}");
    assert!(text.contains("state:        dead"), "{text}");
    assert!(text.contains("initial"), "{text}");
    assert!(
        text.contains("rejected") && text.contains("refused by the test handler"),
        "{text}"
    );
    assert!(!text.contains("body:"), "{text}");
    let plain = stdout(&hookguard(&[
        "inbox",
        "show",
        "--path",
        f,
        &format!("#{a}"),
    ]));
    assert!(
        plain.contains("delivery id:  msg_a") && !plain.contains("CANARY"),
        "{plain}"
    );
    let with_body = stdout(&hookguard(&[
        "inbox", "show", "--path", f, "msg_a", "--body",
    ]));
    assert!(
        with_body.contains(r#"{"n":1,"secret":"CANARYcli"}"#),
        "{with_body}"
    );
    assert!(
        with_body.contains("webhook-id: msg_a") || with_body.contains("headers:"),
        "{with_body}"
    );
    let missing = hookguard(&["inbox", "show", "--path", f, "msg_none"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no such delivery"),
        "{}",
        stderr(&missing)
    );

    // Replay: dead → pending; a pending one is refused (exit 1), the others still run.
    let replayed = hookguard(&["inbox", "replay", "--path", f, "msg_b", "msg_c"]);
    assert_eq!(replayed.status.code(), Some(1));
    assert_eq!(stdout(&replayed).trim(), format!("replayed msg_b #{b}"));
    assert!(stderr(&replayed).contains("msg_c") && stderr(&replayed).contains("pending"));
    let pending = stdout(&hookguard(&[
        "inbox", "list", "--path", f, "--state", "pending",
    ]));
    assert_eq!(heads(&pending), ["msg_c pending 0", "msg_b pending 1"]);
    let replay_done = hookguard(&["inbox", "replay", "--path", f, &a.to_string()]);
    assert!(replay_done.status.success(), "{}", stderr(&replay_done));
    let dry = hookguard(&["inbox", "replay", "--path", f, "--dead", "--dry-run"]);
    assert!(
        stdout(&dry).contains("0 dead deliveries selected"),
        "{}",
        stdout(&dry)
    );

    // Pause holds the route's pending deliveries; resume makes them pending again.
    let paused = hookguard(&["inbox", "pause", "--path", f, "billing"]);
    assert!(paused.status.success(), "{}", stderr(&paused));
    assert_eq!(stdout(&paused).trim(), "paused billing (3 held)");
    let held = stdout(&hookguard(&[
        "inbox", "list", "--path", f, "--state", "held",
    ]));
    assert_eq!(held.lines().count(), 3, "{held}");
    let resumed = stdout(&hookguard(&["inbox", "resume", "--path", f, "billing"]));
    assert_eq!(resumed.trim(), "resumed billing (3 pending)");
    assert!(states(&store.0).iter().all(|(_, s)| *s == State::Pending));
    let counts = stdout(&hookguard(&["inbox", "counts", "--path", f]));
    assert!(
        counts.contains("pending 3") && counts.contains("total 3"),
        "{counts}"
    );
    let bad_route = hookguard(&["inbox", "pause", "--path", f, "no route"]);
    assert_eq!(bad_route.status.code(), Some(1));
}

#[test]
fn a_held_store_file_says_so_and_points_at_the_url() {
    let (store, _) = make_store("in-use");
    let inbox = Inbox::open(&store.0).unwrap();
    let out = hookguard(&["inbox", "list", "--path", store.path()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("in use by another process"), "{err}");
    assert!(err.contains("--url http://127.0.0.1:"), "{err}");
    drop(inbox);
    assert!(
        hookguard(&["inbox", "list", "--path", store.path()])
            .status
            .success()
    );

    let missing = hookguard(&["inbox", "list", "--path", "/nonexistent/inbox.redb"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!Path::new("/nonexistent/inbox.redb").exists());
    let neither = hookguard(&["inbox", "list"]);
    assert_eq!(neither.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_against_the_admin_listener() {
    let store = Store::new("online");
    let inbox = Inbox::open(&store.0).unwrap();
    let [_, b, _] = fill(&inbox).await;
    let router = hookguard::axum::inbox_admin(inbox.clone(), TOKEN).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = hookguard::axum::serve(listener, router);
    let url = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(server.into_future());
    let call = |args: &'static [&'static str], token_env: &'static str| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut all = args.to_vec();
            all.extend(["--url", &url, "--token-env", token_env]);
            hookguard(&all)
        })
    };
    let run = |args: &'static [&'static str]| call(args, "HG_CLI_TOKEN");

    let list = run(&["inbox", "list"]).await.unwrap();
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(
        heads(&stdout(&list)),
        ["msg_c pending 0", "msg_b dead 1", "msg_a done 1"]
    );
    let dead = run(&["inbox", "list", "--state", "dead"]).await.unwrap();
    assert_eq!(heads(&stdout(&dead)), ["msg_b dead 1"]);
    let show = run(&["inbox", "show", "msg_a"]).await.unwrap();
    assert!(stdout(&show).contains("state:        done") && !stdout(&show).contains("CANARY"));
    let body = run(&["inbox", "show", "msg_a", "--body"]).await.unwrap();
    assert!(stdout(&body).contains("CANARYcli"), "{}", stdout(&body));
    let replay = run(&["inbox", "replay", "msg_b"]).await.unwrap();
    assert_eq!(
        stdout(&replay).trim(),
        format!("replayed msg_b #{b}"),
        "{}",
        stderr(&replay)
    );
    assert_eq!(
        inbox.show(b).await.unwrap().summary().state(),
        State::Pending
    );
    let pause = run(&["inbox", "pause", "billing"]).await.unwrap();
    assert_eq!(
        stdout(&pause).trim(),
        "paused billing (2 held)",
        "{}",
        stderr(&pause)
    );
    let resume = run(&["inbox", "resume", "billing"]).await.unwrap();
    assert_eq!(stdout(&resume).trim(), "resumed billing (2 pending)");
    let counts = run(&["inbox", "counts"]).await.unwrap();
    assert!(stdout(&counts).contains("pending 2"), "{}", stdout(&counts));

    // A wrong token: exit 1, the 401 named, the token never printed.
    let wrong = call(&["inbox", "list"], "HG_WRONG_TOKEN").await.unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("401"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("not-the-token") && !stderr(&wrong).contains(TOKEN));
    let unset = call(&["inbox", "list"], "HG_UNSET_VARIABLE_X")
        .await
        .unwrap();
    assert_eq!(unset.status.code(), Some(2));
}
