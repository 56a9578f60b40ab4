//! The collector as a real process on 127.0.0.1 for the integration tests and the load
//! benchmark: started on a free
//! port with its own SQLite file, spoken to over real HTTP, its database read back directly.

#![allow(dead_code)] // Each test file uses a part of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

pub const BINARY: &str = env!("CARGO_BIN_EXE_uptake-collector");

/// `bytes` gzipped, as a browser's `CompressionStream` or a build's `.gz` file holds them.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// What a gzipped body holds.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut plain).unwrap();
    plain
}

pub fn demo_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/uptake.config.json")
}

/// A collector process on a free port, stopped when dropped.
pub struct Collector {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Collector {
    pub fn start() -> Collector {
        Collector::start_with(&[])
    }

    /// A collector with more command-line options.
    pub fn start_with(extra: &[&str]) -> Collector {
        Collector::start_binary(BINARY, extra)
    }

    /// A collector built elsewhere (another release, for a benchmark), with more options.
    pub fn start_binary(binary: &str, extra: &[&str]) -> Collector {
        let dir = tempfile::tempdir().unwrap();
        let sdk = dir.path().join("sdk");
        std::fs::create_dir(&sdk).unwrap();
        std::fs::write(sdk.join("uptake.js"), "// loader").unwrap();
        std::fs::write(sdk.join("uptake_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let mut command = Command::new(binary);
        command.args(["serve", "--listen", "127.0.0.1:0", "--write-key", "dev"]);
        if !extra.contains(&"--config") {
            command.arg("--config").arg(demo_config());
        }
        if !extra.contains(&"--database") {
            command.arg("--database").arg(dir.path().join("events.db"));
        }
        let mut child = command
            .arg("--sdk")
            .arg(&sdk)
            .arg("--www")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../www"))
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Collector { child, url, dir }
    }

    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("events.db")).unwrap()
    }

    pub fn stored(&self, message_id: &str) -> i64 {
        self.database()
            .query_row("SELECT COUNT(*) FROM events WHERE message_id = ?1", [message_id], |row| row.get(0))
            .unwrap()
    }

    /// POSTs a batch: the status and the answer's JSON.
    pub fn post(&self, body: &str) -> (u16, Value) {
        let answer = self.send("/v1/batch", body.as_bytes(), &[]);
        (answer.status, answer.body)
    }

    /// GETs `path`: the status, the content type and the text.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        let answer = self.fetch(path, &[]);
        (answer.status, answer.header("content-type").unwrap_or_default().to_owned(), answer.text)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn track(message_id: &str) -> Value {
    json!({
        "messageId": message_id, "type": "track", "event": "invoice.approved",
        "anonymousId": "anon-1", "userId": "u-42", "properties": {"invoice_id": "INV-1"},
        "timestamp": "2026-11-24T09:30:00.000Z", "sentAt": "2026-11-24T09:30:01.000Z"
    })
}

pub fn batch(events: &[Value]) -> String {
    json!({"batch": events, "sentAt": "2026-11-24T09:30:01.000Z", "writeKey": "dev"}).to_string()
}

/// An answer of the collector: status, headers, the body's bytes and text, and the body as JSON
/// (or as a string when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub bytes: Vec<u8>,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// An HTTP client that returns 4xx and 5xx answers rather than errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let bytes = response.body_mut().read_to_vec().unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
    Answer { status, headers, bytes, text, body }
}

impl Collector {
    /// POSTs raw bytes to `path` (with its query) with extra headers.
    pub fn send(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Answer {
        let mut request = agent().post(format!("{}{path}", self.url)).header("content-type", "text/plain");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send(body).unwrap())
    }

    /// Sends `body` to `path` with another method than POST (PUT, ...).
    pub fn send_method(&self, method: &str, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Answer {
        let mut request = ureq::http::Request::builder().method(method).uri(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(agent().run(request.body(body.to_vec()).unwrap()).unwrap())
    }

    /// GETs `path` with extra headers.
    pub fn fetch(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = agent().get(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.call().unwrap())
    }

    /// The largest memory the collector process has used, in KiB.
    pub fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// How many events are stored in all.
    pub fn count(&self) -> i64 {
        self.database().query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0)).unwrap()
    }
}

/// A fresh database on the PostgreSQL server `UPTAKE_TEST_POSTGRES` names (`scripts/test` starts
/// one), dropped when this is dropped.
pub struct PostgresDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A database for the test `test`, or `None` (said once) without a server; a failure when
/// `UPTAKE_REQUIRE_POSTGRES` is set and no server is named.
pub fn postgres_database(test: &str) -> Option<PostgresDatabase> {
    let Some(server) = std::env::var("UPTAKE_TEST_POSTGRES").ok().filter(|url| !url.is_empty()) else {
        assert!(
            std::env::var_os("UPTAKE_REQUIRE_POSTGRES").is_none(),
            "UPTAKE_REQUIRE_POSTGRES is set without a server"
        );
        eprintln!("UPTAKE_TEST_POSTGRES is not set: {test} is not tested on PostgreSQL");
        return None;
    };
    let name = format!("uptake_{test}_{}", std::process::id());
    let mut client = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    Some(PostgresDatabase { url: format!("{base}/{name}"), server, name })
}
