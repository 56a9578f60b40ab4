//! Whatever a client sends to `POST /v1/batch`, the collector answers 2xx or 4xx and keeps
//! serving: arbitrary bytes, broken gzip, JSON of the wrong shape, batches with odd events. The
//! router runs in this process with a real SQLite file.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request};
use proptest::prelude::*;
use serde_json::json;
use tower::ServiceExt;
use uptake_collector::batch::Limits;
use uptake_collector::live_config::{Live, LiveConfig};
use uptake_collector::rate_limit::WriteKeyRateLimit;
use uptake_collector::routes::{AppState, StaticDirs, router};
use uptake_collector::store::Database;
use uptake_collector::store::writer::Writer;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::Sqlite(dir.path().join("events.db"));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let live = Live::new(Default::default(), "{}".into());
        let (writer, _thread) =
            Writer::start(database.open_store().unwrap(), live.deriver.clone(), live.source.clone(), 0).unwrap();
        let state = AppState {
            live: std::sync::Arc::new(LiveConfig::new(live, dir.path().join("config.json"))),
            write_keys: vec!["dev".into()],
            writer,
            database,
            records: Default::default(),
            body_timeout: std::time::Duration::from_secs(10),
            admin_key: None,
            limits: Limits { batch_bytes: 16 * 1024, event_bytes: 2 * 1024 },
            rate_limit: WriteKeyRateLimit::new(0),
        };
        let dirs = StaticDirs { www: dir.path().into(), dashboard: dir.path().into(), sdk: dir.path().into() };
        let router = router(state, dirs, vec![HeaderValue::from_static("https://app.example.com")]);
        Harness { runtime, router, _dir: dir }
    })
}

fn status_of(path: &str, body: Vec<u8>, content_encoding: Option<&str>) -> u16 {
    let harness = harness();
    let mut request = Request::post(path).header("content-type", "text/plain");
    if let Some(encoding) = content_encoding {
        request = request.header("content-encoding", encoding);
    }
    let request = request.body(Body::from(body)).unwrap();
    harness.runtime.block_on(harness.router.clone().oneshot(request)).unwrap().status().as_u16()
}

/// Bodies near the shape of a batch, where the interesting mistakes are.
fn batchish() -> impl Strategy<Value = Vec<u8>> {
    let event = prop_oneof![
        Just(
            json!({"messageId": "m", "type": "track", "event": "x", "anonymousId": "a", "timestamp": "2026-11-24T00:00:00Z"})
        ),
        Just(json!({"type": "identify"})),
        Just(json!(null)),
        Just(json!({"messageId": "m", "type": "page", "anonymousId": "a", "timestamp": "not a time"})),
        "[a-z\"{}\\[\\]:,0-9 ]{0,40}".prop_map(|text| json!({"messageId": text, "type": "track"})),
        any::<i64>().prop_map(
            |n| json!({"messageId": n.to_string(), "type": "track", "event": "x", "userId": "u", "timestamp": n})
        ),
    ];
    (proptest::collection::vec(event, 0..8), prop_oneof![Just(json!("dev")), Just(json!("nope")), Just(json!(7))])
        .prop_map(|(events, key)| json!({"batch": events, "writeKey": key}).to_string().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_body_gets_2xx_or_4xx(
        body in prop_oneof![proptest::collection::vec(any::<u8>(), 0..4096), batchish()],
        path in prop_oneof![Just("/v1/batch"), Just("/v1/batch?gzip=1"), Just("/v1/batch?gzip")],
        encoding in proptest::option::of(prop_oneof![Just("gzip"), Just("identity"), Just("zstd")]),
    ) {
        let status = status_of(path, body, encoding);
        prop_assert!((200..500).contains(&status), "answered {}", status);
    }
}

#[test]
fn a_good_batch_gets_200_from_the_same_router() {
    let body = json!({"batch": [], "writeKey": "dev"}).to_string().into_bytes();
    assert_eq!(status_of("/v1/batch", body, None), 200);
}
