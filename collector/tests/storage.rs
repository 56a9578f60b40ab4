//! The same storage tests against both backends: a SQLite file, and a real PostgreSQL server
//! named by `UPTAKE_TEST_POSTGRES` (a URL; `scripts/test` starts a server on 127.0.0.1 and sets
//! it). Each PostgreSQL test gets a database of its own. Without the variable only SQLite runs,
//! unless `UPTAKE_REQUIRE_POSTGRES` is set, when the missing server is a failure.

mod common;

use serde_json::json;
use uptake_collector::derived::{Deriver, Person};
use uptake_collector::store::{Database, EventStore, ExportFilter, IncomingEvent, StoreOutcome};
use uptake_core::config::Config;
use uptake_core::event::Event;

/// A database for one test, removed afterwards.
struct Backend {
    database: Database,
    _dir: Option<tempfile::TempDir>,
    postgres_cleanup: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres_cleanup
            && let Ok(mut client) = postgres::Client::connect(server, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn postgres_server() -> Option<String> {
    match std::env::var("UPTAKE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("UPTAKE_REQUIRE_POSTGRES").is_none(),
                "UPTAKE_REQUIRE_POSTGRES is set but UPTAKE_TEST_POSTGRES names no server"
            );
            eprintln!("UPTAKE_TEST_POSTGRES is not set: PostgreSQL is not tested (scripts/test native starts one)");
            None
        }
    }
}

/// A SQLite file, and a fresh PostgreSQL database when a server is given.
fn backends(test: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![Backend {
        database: Database::Sqlite(dir.path().join("events.db")),
        _dir: Some(dir),
        postgres_cleanup: None,
    }];
    if let Some(server) = postgres_server() {
        let name = format!("uptake_{test}_{}", std::process::id());
        let mut client = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (base, _) = server.rsplit_once('/').unwrap();
        backends.push(Backend {
            database: Database::Postgres(format!("{base}/{name}")),
            _dir: None,
            postgres_cleanup: Some((server, name)),
        });
    }
    backends
}

fn incoming(message_id: &str, event: &str, user: &str, timestamp: &str) -> IncomingEvent {
    let value = json!({
        "messageId": message_id, "type": "track", "event": event,
        "anonymousId": user, "timestamp": timestamp, "properties": {"note": "naïve – ✓"}
    });
    IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
}

fn approval(message_id: &str) -> IncomingEvent {
    incoming(message_id, "invoice.approved", "a-1", "2026-11-24T09:30:00.000Z")
}

/// The config events are tagged under: one feature, used by an approval.
fn deriver() -> Deriver {
    let config = json!({
        "version": 1,
        "features": [{"id": "approve", "name": "Approve invoices", "events": ["invoice.approved"]}]
    });
    Deriver::new(Config::from_json(&config).unwrap())
}

fn insert(store: &mut dyn EventStore, write_key: &str, events: &[IncomingEvent]) -> StoreOutcome {
    store.insert_batches(&[(write_key, events)], 0, &deriver()).unwrap()[0]
}

fn exported_ids(database: &Database, filter: &ExportFilter) -> Vec<String> {
    let mut reader = database.open_reader().unwrap();
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let page = reader.export_page(filter, after, 2).unwrap();
        let Some(&(last, _)) = page.last() else { return ids };
        after = last;
        for (_, body) in page {
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            ids.push(value["messageId"].as_str().unwrap().to_owned());
        }
    }
}

#[test]
fn a_message_id_is_stored_once_per_write_key() {
    for backend in backends("once") {
        let mut store = backend.database.open_store().unwrap();
        let first = insert(store.as_mut(), "dev", &[approval("m-1"), approval("m-2")]);
        assert_eq!(first, StoreOutcome { stored: 2, duplicates: 0 }, "{}", backend.database);
        let again = insert(store.as_mut(), "dev", &[approval("m-2"), approval("m-3"), approval("m-3")]);
        assert_eq!(again, StoreOutcome { stored: 1, duplicates: 2 }, "{}", backend.database);
        assert_eq!(insert(store.as_mut(), "other", &[approval("m-1")]).stored, 1, "another app's m-1");
        let dev = ExportFilter { write_key: Some("dev".into()), ..ExportFilter::default() };
        assert_eq!(exported_ids(&backend.database, &dev), ["m-1", "m-2", "m-3"], "{}", backend.database);
    }
}

#[test]
fn batches_committed_together_each_get_their_own_outcome() {
    for backend in backends("together") {
        let mut store = backend.database.open_store().unwrap();
        let (first, second) = ([approval("t-1"), approval("t-2")], [approval("t-2"), approval("t-3")]);
        let outcomes = store.insert_batches(&[("dev", &first[..]), ("dev", &second[..])], 0, &deriver()).unwrap();
        assert_eq!(
            outcomes,
            [StoreOutcome { stored: 2, duplicates: 0 }, StoreOutcome { stored: 1, duplicates: 1 }],
            "{}",
            backend.database
        );
    }
}

#[test]
fn exports_filter_and_page_in_storage_order() {
    for backend in backends("export") {
        let mut store = backend.database.open_store().unwrap();
        insert(
            store.as_mut(),
            "dev",
            &[
                incoming("e-1", "invoice.approved", "a-1", "2026-11-23T10:00:00Z"),
                incoming("e-2", "report.opened", "a-2", "2026-11-24T10:00:00Z"),
                incoming("e-3", "invoice.approved", "a-2", "2026-11-24T11:00:00Z"),
                incoming("e-4", "invoice.approved", "a-1", "2026-11-25T10:00:00Z"),
                incoming("e-5", "invoice.approved", "a-1", "2026-11-25T11:00:00Z"),
            ],
        );
        insert(store.as_mut(), "other", &[incoming("o-1", "invoice.approved", "a-1", "2026-11-24T10:00:00Z")]);
        let at = |iso: &str| Some(uptake_core::iso8601::parse_timestamp(iso).unwrap().as_millis());
        let cases = [
            (ExportFilter::default(), vec!["e-1", "e-2", "e-3", "e-4", "e-5", "o-1"]),
            (
                ExportFilter {
                    write_key: Some("dev".into()),
                    event: Some("invoice.approved".into()),
                    ..Default::default()
                },
                vec!["e-1", "e-3", "e-4", "e-5"],
            ),
            (
                ExportFilter {
                    since_ms: at("2026-11-24T00:00:00Z"),
                    until_ms: at("2026-11-25T00:00:00Z"),
                    ..Default::default()
                },
                vec!["e-2", "e-3", "o-1"],
            ),
            (ExportFilter { user: Some("a-2".into()), ..Default::default() }, vec!["e-2", "e-3"]),
            (ExportFilter { user: Some("nobody".into()), ..Default::default() }, vec![]),
        ];
        for (filter, expected) in cases {
            assert_eq!(exported_ids(&backend.database, &filter), expected, "{} {filter:?}", backend.database);
        }
    }
}

#[test]
fn stored_events_are_there_after_reopening_with_their_text_intact() {
    for backend in backends("reopen") {
        let sent = approval("r-1");
        insert(backend.database.open_store().unwrap().as_mut(), "dev", std::slice::from_ref(&sent));
        // Opening again finds the schema in place and migrates nothing.
        let mut store = backend.database.open_store().unwrap();
        assert_eq!(insert(store.as_mut(), "dev", &[approval("r-1")]).duplicates, 1);
        let mut reader = backend.database.open_reader().unwrap();
        let page = reader.export_page(&ExportFilter::default(), 0, 10).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].1, sent.body, "{}", backend.database);
    }
}

#[test]
fn the_collector_serves_with_a_postgres_database() {
    let backends = backends("serve");
    let Some(url) = backends.iter().find_map(|backend| match &backend.database {
        Database::Postgres(url) => Some(url.clone()),
        Database::Sqlite(_) => None,
    }) else {
        return;
    };
    let collector = common::Collector::start_with(&["--database", &url, "--admin-key", "k"]);
    let answer = collector.send("/v1/batch", common::batch(&[common::track("p-1")]).as_bytes(), &[]);
    assert_eq!((answer.status, answer.body["stored"].clone()), (200, json!(1)));
    let exported = collector.fetch("/v1/export", &[("authorization", "Bearer k")]);
    assert_eq!(exported.status, 200);
    assert!(exported.text.contains("\"messageId\":\"p-1\""), "{}", exported.text);
}

fn event(value: serde_json::Value) -> IncomingEvent {
    IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
}

#[test]
fn records_follow_the_events_stored_once_written_back() {
    for backend in backends("records") {
        let mut store = backend.database.open_store().unwrap();
        let at = "2026-11-24T09:30:00.000Z";
        let visit = [
            approval("r-1"),
            event(json!({"messageId": "r-2", "type": "identify", "userId": "u-1", "anonymousId": "a-1",
                         "traits": {"role": "admin"}, "timestamp": at})),
            event(json!({"messageId": "r-3", "type": "group", "userId": "u-1", "anonymousId": "a-1",
                         "groupId": "acme", "traits": {"seats": 12}, "timestamp": at})),
        ];
        insert(store.as_mut(), "dev", &visit);
        // Sent again with a new use: the copies count nothing; the visitor's later use counts
        // for the user.
        let later = [approval("r-1"), approval("r-4")];
        assert_eq!(insert(store.as_mut(), "dev", &later), StoreOutcome { stored: 1, duplicates: 1 });
        store.write_back().unwrap();
        let mut reader = backend.database.open_reader().unwrap();
        let mut users = Vec::new();
        reader.users(Some("dev"), &mut |user| users.push(user)).unwrap();
        assert_eq!(users.len(), 1, "the visitor's record joined the user's ({})", backend.database);
        let user = &users[0];
        assert_eq!(user.person, Person::User("u-1".into()));
        assert_eq!(user.record.state.features.get("approve").map(|usage| usage.count), Some(2));
        assert_eq!((user.record.account.as_deref(), &user.record.traits["role"]), (Some("acme"), &json!("admin")));
        let accounts = reader.accounts(None).unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!((accounts[0].1.as_str(), &accounts[0].2.traits["seats"]), ("acme", &json!(12)));
        let mut other_app = 0;
        reader.users(Some("other"), &mut |_| other_app += 1).unwrap();
        assert_eq!(other_app, 0);
    }
}
