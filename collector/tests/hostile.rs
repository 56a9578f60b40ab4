//! What anyone holding the public write key can send, as a real process over real HTTP: small
//! bodies of many invalid events get bounded answers and leave the memory bounded, 16 at once;
//! events are exported as the bytes they were sent as (keys in order, big integers whole), on
//! SQLite and PostgreSQL; a gzip body is read member after member, trailing bytes refused; and
//! clients that stall (half a head, half a body, an idle kept-alive connection) are cut off in
//! time, also on a stop.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Collector, batch, gzip};

fn memory_kib(collector: &Collector, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", collector.child.id())).unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A batch of `count` copies of `item`, none of them an event.
fn invalid_batch(item: &str, count: usize) -> String {
    format!(r#"{{"writeKey":"dev","batch":[{}]}}"#, vec![item; count].join(","))
}

#[test]
fn sixteen_small_bodies_of_invalid_events_get_bounded_answers_and_leave_memory_bounded() {
    let collector = Collector::start();
    // 200,000 numbers (400 KB) and 100,000 empty objects (300 KB): under the 500 KB limit.
    let bodies = [invalid_batch("1", 200_000), invalid_batch("{}", 100_000)];
    let before = memory_kib(&collector, "VmRSS:");
    std::thread::scope(|scope| {
        let requests: Vec<_> = (0..16)
            .map(|request| {
                let (collector, body) = (&collector, &bodies[request % 2]);
                scope.spawn(move || collector.send("/v1/batch", body.as_bytes(), &[]))
            })
            .collect();
        for (request, answer) in requests.into_iter().map(|request| request.join().unwrap()).enumerate() {
            let count = if request % 2 == 0 { 200_000 } else { 100_000 };
            assert_eq!(answer.status, 400);
            assert_eq!(answer.body["invalid"].as_array().map(Vec::len), Some(100), "the first 100 named");
            assert_eq!(answer.body["invalid_count"], count);
            assert!(answer.bytes.len() < 20_000, "an answer of {} bytes", answer.bytes.len());
        }
    });
    let peak = memory_kib(&collector, "VmHWM:");
    let settled = memory_kib(&collector, "VmRSS:");
    eprintln!("memory: {before} KiB before, {peak} KiB at most, {settled} KiB after");
    // 16 requests of at most 500 KB each: 8 MB of bodies; before the bound, 800 MB at most and
    // 547 MB held after.
    assert!(peak < before + 32 * 1024, "{peak} KiB at most, {before} KiB before");
    assert!(settled < before + 16 * 1024, "{settled} KiB after, {before} KiB before");
    // Good events are still taken.
    let good = batch(&[common::track("m-after")]);
    assert_eq!(collector.post(&good).0, 200);
}

/// An event as a sender may write it: keys in no order, spaces and line breaks, an integer
/// beyond 64 bits, a float with a trailing zero, escapes.
const SENT: &str = r#"{ "type": "track", "messageId": "m-as-sent", "event": "invoice.approved",
  "userId": "u-1", "timestamp": "2026-11-24T09:30:00.000Z",
  "properties": { "zeta": 1, "alpha": 123456789012345678901234567890, "amount": 12.50,
                  "note": "two  spaces\tand \"quotes\"\n", "nested": {"b": [1, 2], "a": null} } }"#;

fn exported_as_sent(collector: &Collector) {
    let body = format!(r#"{{"writeKey": "dev", "batch": [{SENT}]}}"#);
    assert_eq!(collector.send("/v1/batch", body.as_bytes(), &[]).status, 200);
    let exported = collector.fetch("/v1/export", &[("authorization", "Bearer s3cret")]).text;
    // The sent text without the whitespace between tokens; inside strings, kept.
    let compact = r#"{"type":"track","messageId":"m-as-sent","event":"invoice.approved","userId":"u-1","timestamp":"2026-11-24T09:30:00.000Z","properties":{"zeta":1,"alpha":123456789012345678901234567890,"amount":12.50,"note":"two  spaces\tand \"quotes\"\n","nested":{"b":[1,2],"a":null}}}"#;
    assert_eq!(exported.trim_end(), compact);
}

#[test]
fn events_are_exported_as_they_were_sent_on_sqlite() {
    exported_as_sent(&Collector::start_with(&["--admin-key", "s3cret"]));
}

#[test]
fn events_are_exported_as_they_were_sent_on_postgres() {
    let Some(database) = common::postgres_database("as_sent") else { return };
    exported_as_sent(&Collector::start_with(&["--admin-key", "s3cret", "--database", &database.url]));
}

#[test]
fn a_gzip_body_is_read_member_after_member_and_trailing_bytes_are_refused() {
    let collector = Collector::start();
    let body = batch(&[common::track("m-gz")]);
    let (head, tail) = body.split_at(body.len() / 2);
    let members = [gzip(head.as_bytes()), gzip(tail.as_bytes())].concat();
    let answer = collector.send("/v1/batch", &members, &[("content-encoding", "gzip")]);
    assert_eq!((answer.status, answer.body["stored"].as_u64()), (200, Some(1)), "{}", answer.text);
    let trailing = [gzip(body.as_bytes()), b"trailing".to_vec()].concat();
    let answer = collector.send("/v1/batch", &trailing, &[("content-encoding", "gzip")]);
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(answer.text.contains("not valid gzip"), "{}", answer.text);
}

/// A connection to the collector that sends `sent` and then nothing.
fn stalled(collector: &Collector, sent: &str) -> TcpStream {
    let mut stream = TcpStream::connect(collector.url.trim_start_matches("http://")).unwrap();
    stream.write_all(sent.as_bytes()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// What the collector sends before it closes the connection, and after how long.
fn until_closed(mut stream: TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

const TIMEOUTS: [&str; 4] = ["--header-timeout", "1", "--body-timeout", "1"];

#[test]
fn half_a_head_is_cut_off_after_the_header_timeout() {
    let collector = Collector::start_with(&TIMEOUTS);
    let (answer, after) = until_closed(stalled(&collector, "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Le"));
    assert!(after < Duration::from_secs(4), "closed after {after:?}: {answer:?}");
}

#[test]
fn half_a_body_gets_408_after_the_body_timeout() {
    let collector = Collector::start_with(&TIMEOUTS);
    let head = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n";
    let (answer, after) = until_closed(stalled(&collector, &format!("{head}{{\"batch\": [")));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(after < Duration::from_secs(4), "answered after {after:?}");
    // The same body sent whole is read.
    assert_eq!(collector.post(&batch(&[common::track("m-whole")])).0, 200);
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let collector = Collector::start_with(&TIMEOUTS);
    let stream = stalled(&collector, "GET /v1/config HTTP/1.1\r\nHost: x\r\n\r\n");
    let (answer, after) = until_closed(stream);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");
}

#[test]
fn a_stop_closes_stalled_connections_after_its_grace() {
    let mut collector =
        Collector::start_with(&["--header-timeout", "60", "--body-timeout", "60", "--shutdown-grace", "1"]);
    let head = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n";
    let _half_a_body = stalled(&collector, &format!("{head}{{\"batch\": ["));
    let _half_a_head = stalled(&collector, "POST /v1/batch HTTP/1.1\r\nHost: x\r\n");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let terminated = std::process::Command::new("kill").args(["-TERM", &collector.child.id().to_string()]).status();
    assert!(terminated.unwrap().success());
    let status = collector.child.wait().unwrap();
    assert!(status.success(), "stopped cleanly: {status}");
    assert!(started.elapsed() < Duration::from_secs(4), "stopped after {:?}", started.elapsed());
}
