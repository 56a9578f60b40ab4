//! A PM changes the config of a running collector (the real process, on SQLite and on
//! PostgreSQL when `UPTAKE_TEST_POSTGRES` names a server): an invalid one is refused with the
//! checker's errors at their paths and changes nothing; a valid one (by `PUT /v1/config`, or by
//! editing the file) is served at once, kept with its time, and the metrics' records are rebuilt
//! under it from the stored events, the answers naming the version they were computed under. A
//! database from before the records existed is brought up to date when the collector starts.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Collector;
use serde_json::{Value, json};

const ADMIN: &str = "config-admin";

fn bearer() -> String {
    format!("Bearer {ADMIN}")
}

/// The demo config with `invoices.open` counted by `invoice.viewed` as well.
fn with_viewed_invoices() -> Value {
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(common::demo_config()).unwrap()).unwrap();
    let features = config["features"].as_array_mut().unwrap();
    let open = features.iter_mut().find(|feature| feature["id"] == "invoices.open").unwrap();
    open["events"] = json!(["invoice.opened", "invoice.viewed"]);
    config
}

/// A collector serving a copy of the demo config, in a folder of its own, and that copy.
fn start_with_own_config(database: Option<&str>) -> (Collector, tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let config = folder.path().join("uptake.config.json");
    std::fs::copy(common::demo_config(), &config).unwrap();
    let config_text = config.to_str().unwrap().to_owned();
    let mut options = vec!["--admin-key", ADMIN, "--config", &config_text];
    if let Some(url) = database {
        options.extend(["--database", url]);
    }
    (Collector::start_with(&options), folder, config)
}

fn metrics(collector: &Collector, path: &str) -> Value {
    let answer = collector.fetch(path, &[("authorization", &bearer())]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    answer.body
}

/// The answer once the records are rebuilt under `version`.
fn rebuilt(collector: &Collector, path: &str, version: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = metrics(collector, path);
        if answer["config_version"] == version && answer.get("rebuilding").is_none() {
            return answer;
        }
        assert!(Instant::now() < deadline, "not rebuilt under {version}: {answer}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn history() -> String {
    let viewed = |id: &str, user: &str| {
        json!({"messageId": id, "type": "track", "event": "invoice.viewed", "userId": user,
               "timestamp": "2026-11-20T10:00:00.000Z"})
    };
    common::batch(&[viewed("v-1", "u-1"), viewed("v-2", "u-2"), viewed("v-3", "u-1")])
}

fn opened_by(answer: &Value) -> Vec<String> {
    let mut users: Vec<String> = answer["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| user["features"]["invoices.open"]["uses"].as_u64().unwrap_or(0) > 0)
        .map(|user| format!("{}:{}", user["user_id"].as_str().unwrap(), user["features"]["invoices.open"]["uses"]))
        .collect();
    users.sort();
    users
}

fn check_config_changes(collector: &Collector, config_file: &Path) {
    let (status, answer) = collector.post(&history());
    assert_eq!(status, 200, "{answer}");
    let first = metrics(collector, "/v1/metrics/versions");
    let first_version = first["serving"].as_str().unwrap().to_owned();
    let before = rebuilt(collector, "/v1/metrics/users?as_of=2026-11-30", &first_version);
    assert!(opened_by(&before).is_empty(), "viewing is not opening under the demo config: {before}");
    let served_before = collector.fetch("/v1/config", &[]).text;

    // Refused: no key, and an invalid config (nothing changes).
    let put = |body: &str, key: Option<&str>| {
        let auth = key.map(|key| format!("Bearer {key}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|value| ("authorization", value.as_str())).collect();
        collector.send_method("PUT", "/v1/config", body.as_bytes(), &headers)
    };
    assert_eq!(put(&with_viewed_invoices().to_string(), None).status, 401);
    assert_eq!(put(&with_viewed_invoices().to_string(), Some("wrong")).status, 401);
    let mut invalid = with_viewed_invoices();
    invalid["rules"][0]["when"]["all"][0]["count"]["gte"] = json!("five");
    let refused = put(&invalid.to_string(), Some(ADMIN));
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["path"], "rules[0].when.all[0].count.gte", "{}", refused.text);
    assert_eq!(collector.fetch("/v1/config", &[]).text, served_before, "an invalid config changes nothing");

    // Taken: served at once, recorded, written to the file, and the records rebuilt under it.
    let taken = put(&with_viewed_invoices().to_string(), Some(ADMIN));
    assert_eq!((taken.status, taken.body["changed"].as_bool()), (200, Some(true)), "{}", taken.text);
    let second_version = taken.body["version"].as_str().unwrap().to_owned();
    assert_ne!(second_version, first_version);
    assert_ne!(collector.fetch("/v1/config", &[]).text, served_before);
    let after = rebuilt(collector, "/v1/metrics/users?as_of=2026-11-30", &second_version);
    assert_eq!(opened_by(&after), ["u-1:2", "u-2:1"], "{after}");
    let again = put(&with_viewed_invoices().to_string(), Some(ADMIN));
    assert_eq!(again.body["changed"].as_bool(), Some(false));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(config_file).unwrap()).unwrap();
    assert_eq!(file, with_viewed_invoices(), "the file says what is served");

    // Events stored after the change count under it as they come.
    let late = json!({"messageId": "v-4", "type": "track", "event": "invoice.viewed", "userId": "u-2",
                      "timestamp": "2026-11-21T10:00:00.000Z"});
    collector.post(&common::batch(&[late]));
    assert_eq!(opened_by(&metrics(collector, "/v1/metrics/users?as_of=2026-11-30")), ["u-1:2", "u-2:2"]);

    // An edit of the file is picked up within seconds.
    let mut edited = with_viewed_invoices();
    edited["features"][1]["events"] = json!(["invoice.opened"]);
    std::fs::write(config_file, edited.to_string()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let third_version = loop {
        let versions = metrics(collector, "/v1/metrics/versions");
        // The version is recorded before it is served: wait for both.
        if versions["versions"].as_array().map(Vec::len) == Some(3) && versions["serving"] != second_version {
            break versions["serving"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the edited file was not picked up: {versions}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let edited_answer = rebuilt(collector, "/v1/metrics/users?as_of=2026-11-30", &third_version);
    assert!(opened_by(&edited_answer).is_empty(), "{edited_answer}");
    let versions = metrics(collector, "/v1/metrics/versions");
    let listed: Vec<&str> =
        versions["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(listed, [first_version.as_str(), second_version.as_str(), third_version.as_str()]);
    assert!(versions["versions"][2]["live_from"].as_str().is_some_and(|time| time.ends_with('Z')));
}

#[test]
fn a_config_change_is_checked_served_kept_and_rebuilds_the_figures_on_sqlite() {
    let (collector, _folder, config) = start_with_own_config(None);
    check_config_changes(&collector, &config);
}

#[test]
fn a_config_change_is_checked_served_kept_and_rebuilds_the_figures_on_postgresql() {
    let Some(database) = common::postgres_database("config") else { return };
    let (collector, _folder, config) = start_with_own_config(Some(&database.url));
    check_config_changes(&collector, &config);
}

#[test]
fn a_database_from_before_the_records_is_brought_up_to_date_at_start() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("old.db");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE events (
            id INTEGER PRIMARY KEY, write_key TEXT NOT NULL, message_id TEXT NOT NULL, type TEXT NOT NULL,
            event TEXT, user_id TEXT, anonymous_id TEXT, group_id TEXT, timestamp_ms INTEGER NOT NULL,
            received_at_ms INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (write_key, message_id));
         CREATE INDEX events_by_time ON events (write_key, timestamp_ms);
         PRAGMA user_version = 1;",
    )
    .unwrap();
    for day in 1..=3 {
        let body = json!({"messageId": format!("o-{day}"), "type": "track", "event": "invoice.approved",
                          "userId": "u-old", "timestamp": format!("2026-11-0{day}T10:00:00.000Z")});
        old.execute(
            "INSERT INTO events (write_key, message_id, type, event, user_id, timestamp_ms, received_at_ms, body)
             VALUES ('dev', ?1, 'track', 'invoice.approved', 'u-old', 0, 0, ?2)",
            rusqlite::params![format!("o-{day}"), body.to_string()],
        )
        .unwrap();
    }
    drop(old);
    let collector = Collector::start_with(&["--admin-key", ADMIN, "--database", path.to_str().unwrap()]);
    let version = metrics(&collector, "/v1/metrics/versions")["serving"].as_str().unwrap().to_owned();
    let users = rebuilt(&collector, "/v1/metrics/users?as_of=2026-11-03", &version);
    assert_eq!(users["users"][0]["user_id"], "u-old");
    assert_eq!(users["users"][0]["features"]["invoices.approve"]["uses"], 3);
}
