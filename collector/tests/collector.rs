//! The collector as a real process on 127.0.0.1, spoken to over real HTTP, with its SQLite file
//! read back directly.

mod common;

use std::process::{Command, Output};

use serde_json::{Value, json};
use uptake_core::config::Config;

use common::{BINARY, Collector, batch, demo_config, gunzip, gzip, track};

#[test]
fn a_malformed_body_gets_400_with_a_reason_and_the_next_good_batch_is_stored() {
    let collector = Collector::start();
    let (status, body) = collector.post("{\"batch\": [ this is not json");
    assert_eq!(status, 400);
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("the body is not a batch: "), "{error}");

    let (status, body) = collector.post(&batch(&[track("m-good")]));
    assert_eq!((status, body), (200, json!({"stored": 1, "duplicates": 0, "invalid": [], "invalid_count": 0})));
    assert_eq!(collector.stored("m-good"), 1);
}

#[test]
fn a_batch_with_bad_events_stores_the_good_ones_and_names_the_bad_ones_by_index() {
    let collector = Collector::start();
    let mut nameless = track("m-2");
    nameless.as_object_mut().unwrap().remove("event");
    let (status, body) = collector.post(&batch(&[track("m-1"), nameless, track("m-3")]));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"stored": 2, "duplicates": 0, "invalid": [
            {"index": 1, "kind": "invalid", "error": "a \"track\" event needs an \"event\" name of 1 to 200 bytes"}
        ], "invalid_count": 1})
    );
    assert_eq!((collector.stored("m-1"), collector.stored("m-3")), (1, 1));
    // Nothing good in it: 400, with every bad event named.
    let (status, body) = collector.post(&batch(&[json!({"type": "track"})]));
    assert_eq!(status, 400);
    assert_eq!(body["invalid"][0]["error"], "missing field `messageId`");
}

#[test]
fn a_repeated_message_id_is_stored_once() {
    let collector = Collector::start();
    let events = [track("m-1"), track("m-2")];
    assert_eq!(
        collector.post(&batch(&events)),
        (200, json!({"stored": 2, "duplicates": 0, "invalid": [], "invalid_count": 0}))
    );
    assert_eq!(
        collector.post(&batch(&events)),
        (200, json!({"stored": 0, "duplicates": 2, "invalid": [], "invalid_count": 0}))
    );
    assert_eq!(
        collector.post(&batch(&[track("m-1"), track("m-1")])),
        (200, json!({"stored": 0, "duplicates": 2, "invalid": [], "invalid_count": 0}))
    );
    assert_eq!(collector.stored("m-1"), 1);
    let body: String = collector
        .database()
        .query_row("SELECT body FROM events WHERE message_id = 'm-2'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), track("m-2"), "the event is stored as it was sent");
}

#[test]
fn a_wrong_write_key_gets_401_and_nothing_is_stored() {
    let collector = Collector::start();
    let body = json!({"batch": [track("m-1")], "writeKey": "not-the-key"}).to_string();
    assert_eq!(collector.post(&body).0, 401);
    let no_key = json!({"batch": [track("m-1")]}).to_string();
    assert_eq!(collector.post(&no_key).0, 401);
    assert_eq!(collector.stored("m-1"), 0);
    // HTTP Basic with the key as user name, as Segment's server libraries send it.
    assert_eq!(collector.send("/v1/batch", no_key.as_bytes(), &[("authorization", "Basic ZGV2Og==")]).status, 200);
    assert_eq!(collector.stored("m-1"), 1);
}

#[test]
fn serves_the_config_the_sdk_and_the_demo() {
    let collector = Collector::start();
    let (status, content_type, text) = collector.get("/v1/config");
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(text, compiled_demo_config(), "the config compiled for SDKs");
    let (status, content_type, _) = collector.get("/uptake/uptake_wasm_bg.wasm");
    assert_eq!((status, content_type.as_str()), (200, "application/wasm"), "needed by instantiateStreaming");
    let (status, content_type, _) = collector.get("/index.html");
    assert_eq!((status, content_type.as_str()), (200, "text/html"));
}

/// The demo's config, compiled as SDKs read it.
fn compiled_demo_config() -> String {
    Config::from_json_text(&std::fs::read_to_string(demo_config()).unwrap()).unwrap().to_compact_json()
}

#[test]
fn the_sdk_is_served_in_the_compressed_form_the_browser_accepts() {
    let collector = Collector::start();
    let sdk = collector.dir.path().join("sdk");
    let wasm = std::fs::read(sdk.join("uptake_wasm_bg.wasm")).unwrap();
    std::fs::write(sdk.join("uptake_wasm_bg.wasm.gz"), gzip(&wasm)).unwrap();
    // The collector serves the file as written; it never decodes it.
    std::fs::write(sdk.join("uptake_wasm_bg.wasm.br"), b"brotli form").unwrap();
    let path = "/uptake/uptake_wasm_bg.wasm";

    let brotli = collector.fetch(path, &[("accept-encoding", "gzip, deflate, br, zstd")]);
    assert_eq!(brotli.status, 200);
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    assert_eq!(brotli.header("content-type"), Some("application/wasm"), "needed by instantiateStreaming");
    assert!(brotli.header("vary").is_some_and(|vary| vary.contains("accept-encoding")), "{:?}", brotli.headers);
    assert_eq!(brotli.bytes, b"brotli form");

    let gzip = collector.fetch(path, &[("accept-encoding", "gzip")]);
    assert_eq!((gzip.status, gzip.header("content-encoding")), (200, Some("gzip")));
    assert_eq!(gunzip(&gzip.bytes), wasm);

    let plain = collector.fetch(path, &[]);
    assert_eq!((plain.status, plain.header("content-encoding")), (200, None));
    assert_eq!(plain.bytes, wasm);

    // Served `no-cache`: a browser revalidates its copy, and an unchanged file has no body.
    assert_eq!(brotli.header("cache-control"), Some("no-cache"));
    let tag = brotli.header("etag").expect("a tag to revalidate against");
    let again = collector.fetch(path, &[("accept-encoding", "br"), ("if-none-match", tag)]);
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
}

#[test]
fn the_dashboard_is_served_compressed_to_browsers_that_accept_it() {
    let dashboard = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboard");
    let collector = Collector::start_with(&["--dashboard", dashboard.to_str().unwrap()]);
    let page = std::fs::read(dashboard.join("app.js")).unwrap();
    let gzip = collector.fetch("/dashboard/app.js", &[("accept-encoding", "gzip")]);
    assert_eq!((gzip.status, gzip.header("content-encoding")), (200, Some("gzip")));
    assert_eq!(gunzip(&gzip.bytes), page);
    assert!(gzip.bytes.len() < page.len() / 2, "{} of {} bytes", gzip.bytes.len(), page.len());
    let plain = collector.fetch("/dashboard/app.js", &[]);
    assert_eq!((plain.status, plain.header("content-encoding")), (200, None));
    assert_eq!(plain.bytes, page);
}

#[test]
fn the_config_is_served_gzipped_and_revalidated() {
    let collector = Collector::start();
    let gzip = collector.fetch("/v1/config", &[("accept-encoding", "gzip, deflate, br, zstd")]);
    assert_eq!((gzip.status, gzip.header("content-encoding")), (200, Some("gzip")));
    assert_eq!(gzip.header("content-type"), Some("application/json"));
    let compiled = compiled_demo_config();
    assert_eq!(String::from_utf8(gunzip(&gzip.bytes)).unwrap(), compiled);
    assert!(gzip.bytes.len() * 2 < compiled.len(), "{} bytes gzipped of {}", gzip.bytes.len(), compiled.len());

    let tag = gzip.header("etag").expect("a tag to revalidate against");
    let again = collector.fetch("/v1/config", &[("accept-encoding", "gzip"), ("if-none-match", tag)]);
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
    assert_eq!(again.header("etag"), Some(tag));
}

#[test]
fn compile_prints_the_compiled_config_or_every_error() {
    let text = with_count(json!({"gte": 5}));
    let compiled = run(&["compile"], &text);
    assert!(compiled.status.success());
    let printed = String::from_utf8(compiled.stdout).unwrap();
    let mut expected = Config::from_json_text(&text).unwrap();
    expected.schema = None;
    assert_eq!(Config::from_compact_json(printed.trim_end()).unwrap(), expected);

    let bad = run(&["compile"], "{\"version\": 1,\n \"rules\": [{\"id\": \"r\"}]}");
    assert!(!bad.status.success());
    assert!(bad.stdout.is_empty(), "nothing compiled");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("rules[0]: missing field \"when\""));
}

fn run(args: &[&str], config: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, config).unwrap();
    let database = dir.path().join("events.db");
    let mut command = Command::new(BINARY);
    command.args(args).arg(&path);
    if args.first() == Some(&"serve") {
        command.arg("--database").arg(&database).args(["--listen", "127.0.0.1:0", "--write-key", "dev"]);
    }
    command.output().unwrap()
}

fn with_count(count: Value) -> String {
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(demo_config()).unwrap()).unwrap();
    config["rules"][0]["when"]["all"][0]["count"] = count;
    config.to_string()
}

#[test]
fn refuses_to_start_on_an_invalid_config_naming_the_place() {
    let output = run(&["serve", "--config"], &with_count(json!({"gte": "five"})));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rules[0].when.all[0].count.gte: expected a whole number from 0 to 1000, found \"five\""),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing listened");
}

#[test]
fn check_prints_ok_or_every_error() {
    let ok = run(&["check"], &with_count(json!({"gte": 5})));
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).ends_with(": OK\n"));

    let bad = run(&["check"], "{\"version\": 1,\n \"rules\": [{\"id\": \"r\"}]}");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("  rules[0]: missing field \"when\"\n  rules[0]: missing field \"show\""), "{stderr}");

    let syntax = run(&["check"], "{\"version\": 1,\n  \"rules\": [}");
    assert!(String::from_utf8_lossy(&syntax.stderr).contains("invalid JSON at line 2, column 13"));
}
