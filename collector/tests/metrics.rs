//! `/v1/metrics/` against the real collector process, on SQLite and on PostgreSQL (when
//! `UPTAKE_TEST_POSTGRES` names a server): a small history of the demo app over November 2026,
//! sent as batches, and every figure of every endpoint checked against values computed by hand
//! as of 2026-11-30 (and looking back to 2026-11-10), also after a `kill -9`; then the
//! refusals.

mod common;

use common::Collector;
use serde_json::{Value, json};

const ADMIN: &str = "s3cret-admin";

fn event(id: &mut u32, kind: &str, user: (&str, Option<&str>), day: &str, extra: Value) -> Value {
    *id += 1;
    let mut event = json!({"messageId": format!("m-{id}"), "type": kind, "timestamp": format!("{day}T10:00:00.000Z")});
    match user {
        (anonymous, Some(user)) => {
            event["anonymousId"] = json!(anonymous);
            event["userId"] = json!(user);
        }
        (anonymous, None) => event["anonymousId"] = json!(anonymous),
    }
    for (key, value) in extra.as_object().into_iter().flatten() {
        event[key] = value.clone();
    }
    event
}

/// The history: acme (4 seats, created 2026-10-01) with u-1 (an admin who approves every day
/// of November, automates on the 20th after the prompt on the 15th) and u-2 (a viewer who
/// approved once on 2026-10-15 and saw the export button); globex with u-3 (held out on the
/// 10th, opened an invoice on the 25th); and a visitor never signed in who approved on the 28th.
fn history() -> Vec<Value> {
    let mut id = 0;
    let mut events = Vec::new();
    let u1 = ("a-1", Some("u-1"));
    events.push(event(
        &mut id,
        "identify",
        u1,
        "2026-10-25",
        json!({"traits": {"role": "admin", "signed_up_at": "2026-10-25"}}),
    ));
    events.push(event(
        &mut id,
        "group",
        u1,
        "2026-10-25",
        json!({"groupId": "acme", "traits": {"seats": 4, "created_at": "2026-10-01"}}),
    ));
    for day in 1..=30 {
        let date = format!("2026-11-{day:02}");
        events.push(event(
            &mut id,
            "track",
            u1,
            &date,
            json!({"event": "invoice.approved", "properties": {"manual": true}}),
        ));
    }
    events.push(event(&mut id, "track", u1, "2026-11-29", json!({"event": "invoice.opened"})));
    let shown = json!({"event": "experience_shown", "properties": {"rule_id": "automate-approvals", "variant": "treatment",
                       "experience_id": "automate-invoices", "experience_type": "prompt"}});
    events.push(event(&mut id, "track", u1, "2026-11-15", shown));
    events.push(event(&mut id, "track", u1, "2026-11-20", json!({"event": "automation.created"})));
    let u2 = ("a-2", Some("u-2"));
    events.push(event(&mut id, "identify", u2, "2026-10-15", json!({"traits": {"role": "viewer"}})));
    events.push(event(&mut id, "group", u2, "2026-10-15", json!({"groupId": "acme"})));
    events.push(event(&mut id, "track", u2, "2026-10-15", json!({"event": "invoice.approved"})));
    events.push(event(
        &mut id,
        "track",
        u2,
        "2026-10-16",
        json!({"event": "feature_entry_seen", "properties": {"feature": "reports.export"}}),
    ));
    let u3 = ("a-3", Some("u-3"));
    events.push(event(&mut id, "group", u3, "2026-11-10", json!({"groupId": "globex"})));
    let held = json!({"event": "experience_held_out", "properties": {"rule_id": "automate-approvals", "variant": "holdout",
                      "experience_id": "automate-invoices", "experience_type": "prompt"}});
    events.push(event(&mut id, "track", u3, "2026-11-10", held));
    events.push(event(&mut id, "track", u3, "2026-11-25", json!({"event": "invoice.opened"})));
    events.push(event(&mut id, "track", ("a-9", None), "2026-11-28", json!({"event": "invoice.approved"})));
    events
}

fn collector(database: Option<&str>) -> Collector {
    let mut options = vec!["--admin-key", ADMIN];
    if let Some(url) = database {
        options.extend(["--database", url]);
    }
    let collector = Collector::start_with(&options);
    for chunk in history().chunks(7) {
        let (status, answer) = collector.post(&common::batch(chunk));
        assert_eq!(status, 200, "{answer}");
    }
    collector
}

fn get(collector: &Collector, path: &str) -> Value {
    let answer = collector.fetch(path, &[("authorization", &format!("Bearer {ADMIN}"))]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    answer.body
}

fn near(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|value| (value - expected).abs() < 1e-4)
}

fn check_figures(collector: &Collector) {
    let users = get(collector, "/v1/metrics/users?as_of=2026-11-30");
    assert_eq!((users["as_of"].as_str(), users["total"].as_u64()), (Some("2026-11-30"), Some(4)));
    assert_eq!(users["counts"]["levels"], json!({"L0": 1, "L1": 2, "L2": 0, "L3": 0, "L4": 0, "L5": 1}));
    assert_eq!(users["counts"]["recency"], json!({"new": 0, "active": 3, "at_risk": 0, "dormant": 1}));
    let rows = users["users"].as_array().unwrap();
    let by_id = |id: &str| rows.iter().find(|row| row["user_id"] == id).unwrap_or_else(|| panic!("no {id}: {users}"));
    let u1 = by_id("u-1");
    assert_eq!(
        (u1["level"].as_u64(), u1["recency"].as_str(), u1["account"].as_str()),
        (Some(5), Some("active"), Some("acme"))
    );
    assert!(near(&u1["depth"], 0.75), "{u1}");
    assert_eq!((u1["time_to_first_value"].as_i64(), u1["active_days_28"].as_u64()), (Some(7), Some(28)));
    assert_eq!(u1["features"]["invoices.approve"]["frequency"], "daily");
    let u2 = by_id("u-2");
    assert_eq!((u2["level"].as_u64(), u2["recency"].as_str()), (Some(1), Some("dormant")));
    assert!(near(&u2["depth"], 1.0 / 3.0), "the automation is not for viewers: {u2}");
    assert_eq!(u2["features"]["reports.export"]["barrier"], "stuck");
    assert_eq!(u2["features"]["invoices.approve"]["barrier"], "unconvinced");
    let u3 = by_id("u-3");
    assert_eq!((u3["level"].as_u64(), u3["time_to_first_value"].as_i64()), (Some(0), None));
    let visitor = by_id("a-9");
    assert_eq!((visitor["anonymous"].as_bool(), visitor["level"].as_u64()), (Some(true), Some(1)));
    let page = get(collector, "/v1/metrics/users?as_of=2026-11-30&limit=1&offset=1&recency=active");
    assert_eq!((page["total"].as_u64(), page["users"].as_array().map(Vec::len)), (Some(3), Some(1)));
    assert_eq!(page["users"][0]["user_id"], "u-3", "u-1, u-3, then visitors (a-9)");
    let acme = get(collector, "/v1/metrics/users?as_of=2026-11-30&account=acme&level=1");
    assert_eq!(
        acme["users"].as_array().map(|rows| rows.iter().map(|row| row["user_id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("u-2")])
    );

    let features = get(collector, "/v1/metrics/features?as_of=2026-11-30");
    let feature =
        |id: &str| features["features"].as_array().unwrap().iter().find(|row| row["feature"] == id).unwrap().clone();
    let approve = feature("invoices.approve");
    assert_eq!((approve["active_users"].as_u64(), approve["adopters"].as_u64()), (Some(3), Some(2)));
    assert!(near(&approve["adoption_rate"], 2.0 / 3.0));
    assert_eq!((approve["verdict"].as_str(), approve["target_low"].as_f64()), (Some("below"), Some(0.7)));
    let automation = feature("workflow.automation");
    assert_eq!((automation["adopters"].as_u64(), automation["verdict"].as_str()), (Some(1), Some("within")));
    assert_eq!(feature("reports.export")["barriers"], json!({"unaware": 3, "stuck": 0, "unconvinced": 0, "none": 0}));

    let accounts = get(collector, "/v1/metrics/accounts?as_of=2026-11-30");
    let rows = accounts["accounts"].as_array().unwrap();
    assert_eq!(
        rows.iter().map(|row| row["account"].as_str().unwrap()).collect::<Vec<_>>(),
        ["globex", "acme"],
        "at risk first"
    );
    let (globex, acme) = (&rows[0], &rows[1]);
    assert_eq!(
        (acme["users_seen"].as_u64(), acme["seats"].as_u64(), acme["active_users"].as_u64()),
        (Some(2), Some(4), Some(1))
    );
    assert!(near(&acme["breadth"], 0.25) && near(&acme["dau_mau"], 1.0) && near(&acme["trend"], 0.0), "{acme}");
    assert!(near(&acme["health"], 62.5) && acme["time_to_first_value"] == 14 && acme["at_risk"] == false, "{acme}");
    assert!(
        near(&globex["breadth"], 1.0) && near(&globex["dau_mau"], 1.0 / 30.0) && globex["trend"].is_null(),
        "{globex}"
    );
    assert!(near(&globex["health"], 52.5) && globex["time_to_first_value"].is_null(), "{globex}");
    assert_eq!((globex["at_risk"].as_bool(), globex["risks"].as_str()), (Some(true), Some("dau_mau_under_0.2")));

    let campaigns = get(collector, "/v1/metrics/campaigns?as_of=2026-11-30");
    let campaign = &campaigns["campaigns"][0];
    assert_eq!(campaign["rule"], "automate-approvals");
    assert_eq!(
        (campaign["treatment"]["exposed"].as_u64(), campaign["treatment"]["converted"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (campaign["holdout"]["exposed"].as_u64(), campaign["holdout"]["converted"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(
        near(&campaign["lift"], 1.0) && near(&campaign["lift_high"], 1.0) && campaign["significant"] == false,
        "{campaign}"
    );
    let before = get(collector, "/v1/metrics/campaigns?as_of=2026-11-10");
    assert_eq!(
        (before["campaigns"][0]["treatment"]["exposed"].as_u64(), before["campaigns"][0]["lift"].is_null()),
        (Some(0), true)
    );

    let daily = get(collector, "/v1/metrics/activity?from=2026-11-30&to=2026-11-30");
    let today = &daily["activity"][0];
    assert_eq!(
        (today["day"].as_str(), today["dau"].as_f64(), today["wau"].as_u64(), today["mau"].as_u64()),
        (Some("2026-11-30"), Some(1.0), Some(3), Some(3))
    );
    assert_eq!(today["lifecycle"], json!({"new": 0, "returning": 1, "resurrecting": 0, "dormant": 0}));
    assert_eq!(today["levels"], json!({"L0": 1, "L1": 2, "L2": 0, "L3": 0, "L4": 0, "L5": 1}));
    let weekly = get(collector, "/v1/metrics/activity?to=2026-11-30&from=2026-11-24&period=week");
    assert_eq!(weekly["activity"][0]["lifecycle"], json!({"new": 2, "returning": 1, "resurrecting": 0, "dormant": 0}));
    let looking_back = get(collector, "/v1/metrics/users?as_of=2026-11-10&user=u-1");
    assert_eq!(looking_back["users"][0]["features"]["workflow.automation"]["frequency"], "never");

    let csv = collector
        .fetch("/v1/metrics/accounts?as_of=2026-11-30&format=csv", &[("authorization", &format!("Bearer {ADMIN}"))]);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.text);
    assert!(lines[0].split(',').any(|column| column == "health") && lines[1].contains("globex"), "{}", csv.text);
}

#[test]
fn every_figure_matches_the_hand_computed_history_on_sqlite() {
    check_figures(&collector(None));
}

#[test]
fn every_figure_matches_the_hand_computed_history_on_postgresql() {
    let Some(database) = common::postgres_database("metrics") else { return };
    check_figures(&collector(Some(&database.url)));
}

/// SQLite holds the records in memory between write-outs: a `kill -9` loses them, and the next
/// start takes the events stored since the last write-out in again, each once.
#[test]
fn every_figure_survives_kill_9_before_the_records_are_written_out() {
    let mut killed = collector(None);
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let written: i64 = killed.database().query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0)).unwrap();
    assert_eq!(written, 0, "the records were still in memory");
    let path = killed.dir.path().join("events.db");
    let restarted = Collector::start_with(&["--admin-key", ADMIN, "--database", path.to_str().unwrap()]);
    check_figures(&restarted);
    drop(restarted);
    let again = Collector::start_with(&["--admin-key", ADMIN, "--database", path.to_str().unwrap()]);
    check_figures(&again);
}

#[test]
fn the_metrics_refuse_what_they_cannot_answer_on_sqlite() {
    check_refusals(&collector(None));
}

#[test]
fn the_metrics_refuse_what_they_cannot_answer_on_postgresql() {
    let Some(database) = common::postgres_database("refusals") else { return };
    check_refusals(&collector(Some(&database.url)));
}

fn check_refusals(collector: &Collector) {
    let key = format!("Bearer {ADMIN}");
    let status = |path: &str, headers: &[(&str, &str)]| {
        let answer = collector.fetch(path, headers);
        (answer.status, answer.body["error"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(status("/v1/metrics/users", &[]).0, 401);
    assert_eq!(status("/v1/metrics/users", &[("authorization", "Bearer wrong")]).0, 401);
    assert_eq!(
        status("/v1/metrics/users?write_key=dev", &[("authorization", "Basic ZGV2Og==")]).0,
        401,
        "a write key reads nothing"
    );
    let authorized = [("authorization", key.as_str())];
    assert_eq!(
        status("/v1/metrics/users?as_of=2026-13-01", &authorized),
        (400, "as_of=2026-13-01: expected a day such as 2026-12-01".into())
    );
    assert_eq!(
        status("/v1/metrics/features?format=xml", &authorized),
        (400, "format=xml: expected json or csv".into())
    );
    let (code, error) = status("/v1/metrics/activity?from=2025-01-01&to=2026-11-30", &authorized);
    assert_eq!((code, error.as_str()), (400, "from=2025-01-01 to=2026-11-30: a range of 699 days; at most 366"));
    let (code, error) = status("/v1/metrics/users?levle=2", &authorized);
    assert!(code == 400 && error.starts_with("levle: unknown parameter"), "{error}");
    assert_eq!(status("/v1/metrics/accounts?account=initech", &authorized), (404, "no account \"initech\"".into()));
    assert_eq!(status("/v1/metrics/users?account=initech", &authorized).0, 404);
    assert_eq!(
        status("/v1/metrics/campaigns?rule=nope", &authorized),
        (404, "no rule with a goal named \"nope\"".into())
    );
    assert_eq!(status("/v1/metrics/revenue", &authorized).0, 404);
    let other_app = get(collector, "/v1/metrics/users?write_key=other");
    assert_eq!(other_app["total"], 0);
    let without_key = Collector::start();
    assert_eq!(without_key.fetch("/v1/metrics/users", &authorized).status, 404, "off without --admin-key");
}
