//! `uptake-collector import` against the real binary, into SQLite and into PostgreSQL (when
//! `UPTAKE_TEST_POSTGRES` names a server; each test gets a database of its own there): a
//! generated history is imported, the same database is then served with an admin key, and the
//! metrics count every user of the file and show what the dashboard draws (accounts at risk and
//! healthy ones, a campaign with its holdout); a second import stores nothing and counts
//! duplicates; invalid lines are named by line number with what is wrong, and the valid lines
//! around them stored.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use common::Collector;
use serde_json::{Value, json};

const ADMIN: &str = "import-admin";
const END: &str = "2026-12-01";

/// Runs `import` of `file` into `database`: whether it succeeded, standard output, standard error.
fn import(database: &str, file: &Path) -> (bool, String, String) {
    let output = Command::new(common::BINARY)
        .args(["import", "--write-key", "dev", "--database", database, "--config"])
        .arg(common::demo_config())
        .arg(file)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A generated history in `dir`: its path, how many events, the distinct user ids.
fn history(dir: &Path) -> (std::path::PathBuf, usize, HashSet<String>) {
    let file = dir.join("history.ndjson");
    let output = Command::new(common::BINARY)
        .args(["generate-history", "--seed", "11", "--users", "150", "--accounts", "5", "--days", "60", "--end", END])
        .arg("--config")
        .arg(common::demo_config())
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut users = HashSet::new();
    let mut events = 0;
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        users.insert(event["userId"].as_str().unwrap().to_owned());
        events += 1;
    }
    (file, events, users)
}

fn get(collector: &Collector, path: &str) -> Value {
    let answer = collector.fetch(path, &[("authorization", &format!("Bearer {ADMIN}"))]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    answer.body
}

/// Imports a history into `database` twice, then serves it and reads the metrics back.
fn import_then_serve(database: &str, dir: &Path) {
    let (file, events, users) = history(dir);
    let (ok, summary, errors) = import(database, &file);
    assert!(ok, "{errors}");
    assert_eq!(summary.trim(), format!("read {events} events: {events} stored, 0 duplicates, 0 invalid"));
    let (ok, summary, errors) = import(database, &file);
    assert!(ok, "{errors}");
    assert_eq!(summary.trim(), format!("read {events} events: 0 stored, {events} duplicates, 0 invalid"), "again");

    let collector = Collector::start_with(&["--database", database, "--admin-key", ADMIN]);
    let listed = get(&collector, &format!("/v1/metrics/users?as_of={END}&limit=1000"));
    assert_eq!(listed["total"].as_u64(), Some(users.len() as u64), "every user of the file, once");
    let served: HashSet<String> =
        listed["users"].as_array().unwrap().iter().map(|row| row["user_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(served, users);
    let levels = &listed["counts"]["levels"];
    assert!(levels["L0"].as_u64() > Some(0) && levels["L5"].as_u64() > Some(0), "{levels}");

    let accounts = get(&collector, &format!("/v1/metrics/accounts?as_of={END}"));
    let rows = accounts["accounts"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().any(|row| row["at_risk"] == true), "an account at risk: {accounts}");
    assert!(rows.iter().any(|row| row["at_risk"] == false), "a healthy account: {accounts}");
    let campaigns = get(&collector, &format!("/v1/metrics/campaigns?as_of={END}&rule=automate-approvals"));
    let campaign = &campaigns["campaigns"][0];
    assert!(campaign["treatment"]["exposed"].as_u64() > Some(0) && campaign["holdout"]["exposed"].as_u64() > Some(0));
    let exported = collector.fetch("/v1/export", &[("authorization", &format!("Bearer {ADMIN}"))]);
    assert_eq!(exported.text.lines().count(), events, "each event stored once");
}

#[test]
fn an_imported_history_is_served_with_every_user_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("imported.db");
    import_then_serve(database.to_str().unwrap(), dir.path());
}

#[test]
fn an_imported_history_is_served_with_every_user_on_postgresql() {
    let Some(database) = common::postgres_database("import") else { return };
    let dir = tempfile::tempdir().unwrap();
    import_then_serve(&database.url, dir.path());
}

#[test]
fn invalid_lines_are_named_by_number_and_the_valid_ones_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut missing_id = common::track("m-3");
    missing_id.as_object_mut().unwrap().remove("messageId");
    let mut large = common::track("m-4");
    large["properties"] = json!({"notes": "x".repeat(40 * 1024)});
    let text = [
        common::track("m-1").to_string(),
        String::new(),
        "{\"type\": \"track\", ".to_owned(),
        missing_id.to_string(),
        large.to_string(),
        common::track("m-2").to_string(),
        json!([1, 2]).to_string(),
    ]
    .join("\n");
    let file = dir.path().join("mixed.ndjson");
    std::fs::write(&file, text).unwrap();
    let database = dir.path().join("mixed.db");
    let (ok, summary, errors) = import(database.to_str().unwrap(), &file);
    assert!(ok, "{errors}");
    let summary = summary.trim();
    assert!(summary.starts_with("read 6 events: 2 stored, 0 duplicates, 4 invalid (line 3: not JSON: "), "{summary}");
    assert!(summary.contains("; line 4: missing field `messageId`; line 5: the event is "), "{summary}");
    assert!(summary.contains("bytes; at most 32768 are accepted; line 7: "), "{summary}");
    let connection = rusqlite::Connection::open(&database).unwrap();
    let mut statement = connection.prepare("SELECT message_id FROM events ORDER BY message_id").unwrap();
    let stored: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(stored, ["m-1", "m-2"]);
}

#[test]
fn what_cannot_be_imported_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("never.db");
    let (ok, _, errors) = import(database.to_str().unwrap(), &dir.path().join("missing.ndjson"));
    assert!(!ok && errors.contains("cannot read") && errors.contains("missing.ndjson"), "{errors}");
    let file = dir.path().join("one.ndjson");
    std::fs::write(&file, common::track("m-1").to_string()).unwrap();
    let (ok, _, errors) = import("mysql://somewhere/db", &file);
    assert!(!ok && errors.contains("give a SQLite file path or a postgres:// URL"), "{errors}");
    let output = Command::new(common::BINARY)
        .args(["import", "--write-key", "dev", "--config", "/nonexistent/uptake.config.json"])
        .arg("--database")
        .arg(&database)
        .arg(&file)
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && errors.contains("cannot read the config file"), "{errors}");
}
