//! The metrics API at scale: a release build of the collector over a SQLite file holding a
//! generated history (`generate-history`, then `import`), timed on each endpoint as the issue
//! of the adoption analytics names them: `users` (first page), `features`, `accounts` and
//! `campaigns` as of today, `activity` per day over the last 90 days, and the requests of the
//! dashboard's overview page together. Prints each one's median over the rounds, the first
//! answer after a start (the records parsed into the cache), and the collector's peak memory.
//!
//! `cargo bench -p uptake-collector --bench metrics` (options after `--`: `--users N` and
//! `--accounts N` for the history it generates, 2,000 and 20 by default; `--database PATH` for a
//! file already imported, such as the 100,000 users of the README's figures; `--rounds N`;
//! `--binary PATH` to time another build of the collector, such as the release before).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{BINARY, Collector, demo_config};

const ADMIN: &str = "bench-admin";

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).find(|pair| pair[0] == name).map(|pair| pair[1].clone())
}

fn number(name: &str, default: u64) -> u64 {
    option(name).and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn run(command: &mut Command) {
    let status = command.status().unwrap();
    assert!(status.success(), "{command:?} failed: {status}");
}

/// A database with a generated history of `users` in `accounts` over 120 days, ending today.
fn generated(dir: &Path, users: u64, accounts: u64) -> PathBuf {
    let history = dir.join("history.ndjson");
    let database = dir.join("history.db");
    let today = uptake_core::iso8601::format_timestamp(uptake_core::time::Timestamp::from_millis(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let config = demo_config();
    run(Command::new(BINARY).args(["generate-history", "--days", "120", "--end", &today[..10]]).args([
        "--users",
        &users.to_string(),
        "--accounts",
        &accounts.to_string(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        history.to_str().unwrap(),
    ]));
    run(Command::new(BINARY).args(["import", "--write-key", "dev", "--config", config.to_str().unwrap()]).args([
        "--database",
        database.to_str().unwrap(),
        history.to_str().unwrap(),
    ]));
    database
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(time: Duration) -> String {
    format!("{:.0} ms", time.as_secs_f64() * 1000.0)
}

fn get(collector: &Collector, path: &str) -> Duration {
    let started = Instant::now();
    let answer = collector.fetch(path, &[("authorization", &format!("Bearer {ADMIN}"))]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    started.elapsed()
}

fn main() {
    let rounds = number("--rounds", 5).max(1);
    let dir = tempfile::tempdir().unwrap();
    let database = match option("--database") {
        Some(path) => PathBuf::from(path),
        None => generated(dir.path(), number("--users", 2_000), number("--accounts", 20)),
    };
    let started = Instant::now();
    let binary = option("--binary").unwrap_or_else(|| BINARY.to_owned());
    let collector = Collector::start_binary(&binary, &["--database", database.to_str().unwrap(), "--admin-key", ADMIN]);
    let listening = started.elapsed();
    get(&collector, "/v1/metrics/users?limit=1");
    let first = started.elapsed();
    let endpoints = [
        ("`users`, first page", vec!["/v1/metrics/users"]),
        ("`features`", vec!["/v1/metrics/features"]),
        ("`accounts`", vec!["/v1/metrics/accounts"]),
        ("`campaigns`", vec!["/v1/metrics/campaigns"]),
        ("`activity` per day, last 90 days", vec!["/v1/metrics/activity"]),
        ("the overview page's requests, together", vec!["/v1/metrics/activity", "/v1/metrics/users?limit=1"]),
    ];
    println!("| request | median of {rounds} |");
    println!("| --- | ---: |");
    println!("| the first answer after a start (listening after {}) | {} |", ms(listening), ms(first));
    for (name, paths) in endpoints {
        let times = (0..rounds)
            .map(|_| {
                let started = Instant::now();
                std::thread::scope(|scope| {
                    let requests: Vec<_> = paths.iter().map(|path| scope.spawn(|| get(&collector, path))).collect();
                    for request in requests {
                        request.join().unwrap();
                    }
                });
                started.elapsed()
            })
            .collect();
        println!("| {name} | {} |", ms(median(times)));
    }
    println!("collector peak memory: {:.0} MiB", collector.peak_memory_kib() as f64 / 1024.0);
}
