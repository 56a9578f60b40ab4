//! Load on the collector: a release build of it on 127.0.0.1 with a fresh SQLite file (WAL mode,
//! every commit synced), and clients on this machine POSTing batches of 50 distinct events as
//! fast as it answers, over keep-alive connections. Prints sustained events per second (counted
//! in the database, not by the clients), p50 and p99 latency per batch, and the collector's peak
//! memory.
//!
//! `cargo bench -p uptake-collector --bench load` (options after `--`: `--seconds N`,
//! `--clients N`; `--ids random` for random UUIDv4 message ids, as Segment's server libraries
//! send, instead of time-ordered ones; `--users N` to spread the events over N users, one per
//! client by default; `--postgres` to store in a fresh database on the PostgreSQL server
//! `UPTAKE_TEST_POSTGRES` names instead of SQLite; `--baseline PATH --rounds N` runs another
//! build of the collector, such as the release before, in turns with this one and prints both
//! medians and their ratio).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::Collector;

const EVENTS_PER_BATCH: usize = 50;

fn option(name: &str, default: u64) -> u64 {
    text_option(name).and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn text_option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).find(|pair| pair[0] == name).map(|pair| pair[1].clone())
}

/// How the benchmark's clients make their events.
#[derive(Clone, Copy)]
struct Shape {
    /// Random UUIDv4 message ids rather than time-ordered ones.
    random_ids: bool,
    /// The users the events are spread over; 0: one per client.
    users: u64,
    /// Stored in PostgreSQL rather than SQLite.
    postgres: bool,
}

/// A step of xorshift64*: the benchmark's random numbers, the same for the same seed.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// A batch of distinct events, shaped like the SDK's: each one a use of a feature of the demo
/// config (`invoice.approved`).
fn batch_body(client: u64, round: u64, shape: Shape, random: &mut u64) -> String {
    let mut body = String::with_capacity(EVENTS_PER_BATCH * 400);
    body.push_str(r#"{"writeKey":"dev","sentAt":"2026-11-24T09:30:01.000Z","batch":["#);
    for i in 0..EVENTS_PER_BATCH {
        if i > 0 {
            body.push(',');
        }
        let message_id = if shape.random_ids {
            let (high, low) = (next_random(random), next_random(random));
            format!(
                "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                high >> 32,
                (high >> 16) & 0xffff,
                high & 0xfff,
                0x8000 | (low >> 48) & 0x3fff,
                low & 0xffff_ffff_ffff
            )
        } else {
            format!("019a{client:04x}-{round:08x}-7000-8000-{i:012x}")
        };
        let user = if shape.users == 0 { client } else { next_random(random) % shape.users };
        body.push_str(&format!(
            r#"{{"messageId":"{message_id}","type":"track","event":"invoice.approved","anonymousId":"anon-{user}","userId":"u-{user}","properties":{{"invoice_id":"INV-{round}","amount":1200,"manual":true}},"context":{{"library":{{"name":"uptake","version":"0.1.0"}},"page":{{"path":"/invoices","url":"http://127.0.0.1/invoices"}}}},"timestamp":"2026-11-24T09:30:00.000Z","sentAt":"2026-11-24T09:30:01.000Z"}}"#
        ));
    }
    body.push_str("]}");
    body
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted.get(((sorted.len() as f64 - 1.0) * share).round() as usize).copied().unwrap_or_default()
}

/// What one run measured.
struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    memory_mib: f64,
}

fn main() {
    let seconds = option("--seconds", 10);
    let clients = option("--clients", 16);
    let shape = Shape {
        random_ids: text_option("--ids").as_deref() == Some("random"),
        users: option("--users", 0),
        postgres: std::env::args().any(|arg| arg == "--postgres"),
    };
    let Some(baseline) = text_option("--baseline") else {
        let run = load(common::BINARY, seconds, clients, shape);
        println!("| sustained events per second | p50 per batch | p99 per batch | collector peak memory |");
        println!("| ---: | ---: | ---: | ---: |");
        println!(
            "| {:.0} | {:.2} ms | {:.2} ms | {:.0} MiB |",
            run.per_second,
            run.p50.as_secs_f64() * 1e3,
            run.p99.as_secs_f64() * 1e3,
            run.memory_mib
        );
        return;
    };
    let rounds = option("--rounds", 3);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        theirs.push(load(&baseline, seconds, clients, shape).per_second);
        ours.push(load(common::BINARY, seconds, clients, shape).per_second);
    }
    let median = |runs: &mut Vec<f64>| {
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    };
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    println!("| build | median events per second ({rounds} runs each, in turns) |");
    println!("| --- | ---: |");
    println!("| {baseline} | {theirs:.0} |");
    println!("| this build | {ours:.0} ({:.2}x) |", ours / theirs);
}

fn load(binary: &str, seconds: u64, clients: u64, shape: Shape) -> Run {
    let postgres =
        shape.postgres.then(|| common::postgres_database("load").expect("--postgres needs UPTAKE_TEST_POSTGRES"));
    let mut arguments = vec!["--rate-limit", "0"];
    if let Some(database) = &postgres {
        arguments.extend(["--database", database.url.as_str()]);
    }
    let collector = Collector::start_binary(binary, &arguments);
    let batch_url = format!("{}/v1/batch", collector.url);

    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0_u64));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (stop, latencies, failures, batch_url) =
                (Arc::clone(&stop), Arc::clone(&latencies), Arc::clone(&failures), batch_url.clone());
            std::thread::spawn(move || {
                let agent = common::agent();
                let mut mine = Vec::new();
                let mut round = 0;
                let mut random = 0x9e37_79b9_7f4a_7c15 ^ (client + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                while !stop.load(Ordering::Relaxed) {
                    let body = batch_body(client, round, shape, &mut random);
                    round += 1;
                    let sent = Instant::now();
                    match agent.post(&batch_url).header("content-type", "text/plain").send(&body) {
                        Ok(response) if response.status() == 200 => mine.push(sent.elapsed()),
                        _ => *failures.lock().unwrap_or_else(|e| e.into_inner()) += 1,
                    }
                }
                latencies.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    let elapsed = started.elapsed();
    let memory_mib = collector.peak_memory_kib() as f64 / 1024.0;
    // Every acknowledged batch is committed: the clients have their answers.
    let events = match &postgres {
        Some(database) => postgres::Client::connect(&database.url, postgres::NoTls)
            .and_then(|mut client| client.query_one("SELECT COUNT(*) FROM events", &[]))
            .map(|row| row.get::<_, i64>(0))
            .unwrap_or_default(),
        None => collector.count(),
    };
    let mut latencies = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    latencies.sort();
    let per_second = events as f64 / elapsed.as_secs_f64();
    println!(
        "load ({binary}, {}): {clients} clients, batches of {EVENTS_PER_BATCH}, {} ids, {}, {:.1} s: {events} events stored, {} failed batches, {per_second:.0} events/s",
        if shape.postgres { "PostgreSQL" } else { "SQLite" },
        if shape.random_ids { "random" } else { "time-ordered" },
        if shape.users == 0 { format!("{clients} users") } else { format!("{} users", shape.users) },
        elapsed.as_secs_f64(),
        failures.lock().unwrap_or_else(|e| e.into_inner())
    );
    Run { per_second, p50: percentile(&latencies, 0.5), p99: percentile(&latencies, 0.99), memory_mib }
}
