//! The collector under abuse and failure, as a real process over real HTTP: size limits, gzip
//! and zip bombs, the rate limit per write key, CORS for the configured origins only, the
//! export behind the admin key, an acknowledged batch surviving `kill -9`, and SIGTERM letting a
//! request in flight finish.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Collector, batch, gzip, track};
use serde_json::{Value, json};

fn with_notes(message_id: &str, bytes: usize) -> Value {
    let mut event = track(message_id);
    event["properties"]["notes"] = json!("x".repeat(bytes));
    event
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[test]
fn oversized_batches_and_events_get_413_with_a_message() {
    let collector = Collector::start();
    let big: Vec<Value> = (0..40).map(|i| with_notes(&format!("b-{i}"), 15_000)).collect();
    let answer = collector.send("/v1/batch", batch(&big).as_bytes(), &[]);
    assert_eq!(answer.status, 413);
    assert_eq!(error_of(&answer.body), "the batch is larger than 512000 bytes; send fewer events per batch");
    assert_eq!(collector.count(), 0);

    let answer = collector.send("/v1/batch", batch(&[with_notes("l-1", 40_000)]).as_bytes(), &[]);
    assert_eq!(answer.status, 413, "{:?}", answer.body);
    assert_eq!(answer.body["invalid"][0]["kind"], "too_large");

    let answer = collector.send("/v1/batch", batch(&[with_notes("l-1", 40_000), track("ok-1")]).as_bytes(), &[]);
    assert_eq!(answer.status, 200);
    assert_eq!((answer.body["stored"].clone(), answer.body["invalid"][0]["index"].clone()), (json!(1), json!(0)));
    assert_eq!((collector.stored("ok-1"), collector.stored("l-1")), (1, 0));
}

#[test]
fn gzip_bodies_are_read_by_header_or_query_and_a_zip_bomb_gets_413() {
    let collector = Collector::start();
    let answer = collector.send("/v1/batch?gzip=1", &gzip(batch(&[track("g-1")]).as_bytes()), &[]);
    assert_eq!((answer.status, answer.body["stored"].clone()), (200, json!(1)));
    let answer = collector.send("/v1/batch", &gzip(batch(&[track("g-2")]).as_bytes()), &[("content-encoding", "gzip")]);
    assert_eq!((answer.status, answer.body["stored"].clone()), (200, json!(1)));

    // Valid JSON once decompressed: a batch followed by 64 MiB of spaces, about 64 KB gzipped.
    let mut text = batch(&[track("bomb-1")]).into_bytes();
    text.resize(text.len() + (64 << 20), b' ');
    let bomb = gzip(&text);
    drop(text);
    assert!(bomb.len() < 500 * 1024, "the bomb itself is under the batch limit: {} bytes", bomb.len());
    let before = collector.peak_memory_kib();
    let answer = collector.send("/v1/batch?gzip=1", &bomb, &[]);
    assert_eq!(answer.status, 413);
    assert_eq!(
        error_of(&answer.body),
        "the batch is larger than 512000 bytes once decompressed; send fewer events per batch"
    );
    let growth = collector.peak_memory_kib().saturating_sub(before);
    assert!(growth < 16 * 1024, "the collector's peak memory grew by {growth} KiB");
    assert_eq!(collector.stored("bomb-1"), 0);

    let answer = collector.send("/v1/batch", b"{}", &[("content-encoding", "br")]);
    assert_eq!(answer.status, 415);
}

#[test]
fn the_rate_limit_per_write_key_answers_429_with_retry_after() {
    let collector = Collector::start_with(&["--rate-limit", "2"]);
    assert_eq!(collector.send("/v1/batch", batch(&[track("r-1")]).as_bytes(), &[]).status, 200);
    assert_eq!(collector.send("/v1/batch", batch(&[track("r-2")]).as_bytes(), &[]).status, 200);
    let limited = collector.send("/v1/batch", batch(&[track("r-3")]).as_bytes(), &[]);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(collector.stored("r-3"), 0);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(collector.send("/v1/batch", batch(&[track("r-3")]).as_bytes(), &[]).status, 200);
    assert_eq!(collector.stored("r-3"), 1);
}

#[test]
fn only_the_configured_app_origins_may_read_the_answers() {
    let collector = Collector::start_with(&["--allow-origin", "https://app.example.com"]);
    let allowed =
        collector.send("/v1/batch", batch(&[track("c-1")]).as_bytes(), &[("origin", "https://app.example.com")]);
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert!(allowed.header("access-control-expose-headers").is_some_and(|h| h.contains("retry-after")));
    let other = collector.fetch("/v1/config", &[("origin", "https://evil.example.com")]);
    assert_eq!(other.header("access-control-allow-origin"), None);
    // The SDK itself is public: any page may load it.
    let sdk = collector.fetch("/uptake/uptake.js", &[("origin", "https://evil.example.com")]);
    assert_eq!(sdk.header("access-control-allow-origin"), Some("*"));
    // A bad origin on the command line is refused with what to write instead.
    let output = std::process::Command::new(common::BINARY)
        .args(["serve", "--config", "x.json", "--write-key", "dev", "--allow-origin", "app.example.com/path"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an origin; write it as https://app.example.com"));
}

fn lines(answer: &common::Answer) -> Vec<Value> {
    answer.text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn the_export_streams_ndjson_with_filters_behind_the_admin_key() {
    let collector = Collector::start_with(&["--admin-key", "s3cret"]);
    let events: Vec<Value> = (0..2_500)
        .map(|i| {
            let mut event = track(&format!("e-{i:05}"));
            event["event"] = json!(if i % 2 == 0 { "invoice.approved" } else { "report.opened" });
            event
        })
        .collect();
    for chunk in events.chunks(500) {
        assert_eq!(collector.send("/v1/batch", batch(chunk).as_bytes(), &[]).status, 200);
    }
    assert_eq!(collector.fetch("/v1/export", &[]).status, 401);
    assert_eq!(collector.fetch("/v1/export", &[("authorization", "Bearer dev")]).status, 401);
    let admin = [("authorization", "Bearer s3cret")];
    let all = collector.fetch("/v1/export", &admin);
    assert_eq!((all.status, all.header("content-type")), (200, Some("application/x-ndjson")));
    let exported = lines(&all);
    assert_eq!(exported.len(), 2_500, "every event, over several pages");
    assert_eq!(exported, events, "as sent, in the order stored");
    let approvals = lines(&collector.fetch("/v1/export?event=invoice.approved&user=anon-1", &admin));
    assert_eq!(approvals.len(), 1_250);
    let later = collector.fetch("/v1/export?since=2026-11-25T00:00:00Z", &admin);
    assert_eq!(lines(&later).len(), 0);
    let bad = collector.fetch("/v1/export?since=yesterday", &admin);
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad.body).starts_with("since: "), "{}", bad.body);

    let without_key = Collector::start();
    assert_eq!(without_key.fetch("/v1/export", &admin).status, 404);
}

/// A property keeps the float the SDK sent, to the last bit, in the forms the browser writes
/// them (`1e+21`, and `.0` after a whole one): serde_json's parsing without its
/// `float_roundtrip` feature can be a unit off in the last place of a long mantissa
/// (9.37732164006287e179 read as 9.377321640062869e179).
#[test]
fn floats_are_stored_exactly_as_sent() {
    let collector = Collector::start_with(&["--admin-key", "s3cret"]);
    let floats =
        ["9.37732164006287e179", "0.30000000000000004", "1.7976931348623157e+308", "5e-324", "1e+21", "-0.0", "3.0"];
    let mut event = track("f-1");
    let body = batch(&[event.clone()]).replace(
        r#""properties":{"invoice_id":"INV-1"}"#,
        &format!(r#""properties":{{"amounts":[{}]}}"#, floats.join(",")),
    );
    assert_eq!(collector.send("/v1/batch", body.as_bytes(), &[]).status, 200);
    let exported = collector.fetch("/v1/export", &[("authorization", "Bearer s3cret")]).text;
    let amounts: Vec<f64> = floats.iter().map(|text| text.parse().unwrap()).collect();
    event["properties"] = json!({"amounts": amounts});
    let stored = exported.lines().next().and_then(|line| uptake_core::json_reader::parse(line, |n| n.parse().ok()));
    assert_eq!(stored, Some(event), "{exported}");
}

#[test]
fn an_acknowledged_batch_survives_kill_9() {
    let mut collector = Collector::start();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let (url, acknowledged, stop) = (collector.url.clone(), Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                let agent = common::agent();
                for round in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let ids: Vec<String> = (0..50).map(|i| format!("k-{sender}-{round}-{i}")).collect();
                    let events: Vec<Value> = ids.iter().map(|id| track(id)).collect();
                    match agent.post(format!("{url}/v1/batch")).send(batch(&events)) {
                        Ok(response) if response.status() == 200 => acknowledged.lock().unwrap().extend(ids),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    collector.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    collector.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= 200, "batches were acknowledged before the kill: {}", acknowledged.len());
    let database = collector.database();
    let mut lookup = database.prepare("SELECT COUNT(*) FROM events WHERE message_id = ?1").unwrap();
    let missing: Vec<&String> =
        acknowledged.iter().filter(|id| lookup.query_row([id], |row| row.get::<_, i64>(0)).unwrap() != 1).collect();
    assert!(missing.is_empty(), "{} acknowledged events lost, such as {:?}", missing.len(), missing.first());
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut collector = Collector::start();
    let body = batch(&[track("t-1"), track("t-2")]);
    let address = collector.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    write!(
        stream,
        "POST /v1/batch HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let terminated = std::process::Command::new("kill").args(["-TERM", &collector.child.id().to_string()]).status();
    assert!(terminated.unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(collector.child.try_wait().unwrap().is_none(), "still running while a request is in flight");
    stream.write_all(second).unwrap();
    let mut answer = String::new();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = collector.child.wait().unwrap();
    assert!(status.success(), "stopped cleanly: {status}");
    assert_eq!((collector.stored("t-1"), collector.stored("t-2")), (1, 1));
}
