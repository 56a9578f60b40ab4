//! `/v1/metrics/`: the figures a PM decides on, behind the admin key, as JSON or CSV, each as of
//! a day (`as_of`, today by default, in the config's calendar) and under the config version it
//! was computed with. `users` (paginated, filtered by account, level, recency or user),
//! `features`, `accounts` (sorted, at-risk first), `campaigns` and `activity` (per day or week
//! over a range), and `versions` (every config version and when it went live). Every endpoint
//! takes `write_key`. Answers are computed from the records the
//! writer keeps (`derived`), parsed once and kept (`cache`): the cost goes with users, not
//! events.

mod answers;
mod cache;
mod format;
mod params;
mod snapshot;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};
use uptake_core::config::RecencyClass;
use uptake_core::iso8601::format_timestamp;
use uptake_core::time::{DayNumber, Timestamp};

pub use self::cache::RecordCache;
use self::params::{BadParameter, Common, PAGE_MAX, Params, day_text};
use self::snapshot::{Reading, Snapshot};
use crate::admin::refusal;
use crate::derived::Deriver;
use crate::routes::{AppState, message, now_ms};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/metrics/{endpoint}", get(metrics))
}

const ENDPOINTS: [&str; 6] = ["users", "features", "accounts", "campaigns", "activity", "versions"];

fn today(deriver: &Deriver) -> DayNumber {
    Timestamp::from_millis(now_ms()).day(deriver.program().config().settings.day_offset())
}

fn bad(problem: BadParameter) -> Response {
    message(StatusCode::BAD_REQUEST, problem.0)
}

async fn metrics(
    State(state): State<Arc<AppState>>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Some(refusal) = refusal(state.admin_key.as_deref(), &headers, "the metrics API") {
        return refusal;
    }
    if !ENDPOINTS.contains(&endpoint.as_str()) {
        return message(
            StatusCode::NOT_FOUND,
            format!("no metrics named {endpoint:?}; there are {}", ENDPOINTS.join(", ")),
        );
    }
    let params = match query
        .map_err(|rejection| BadParameter(rejection.body_text()))
        .and_then(|Query(pairs)| Params::new(pairs))
    {
        Ok(params) => params,
        Err(problem) => return bad(problem),
    };
    // The figures count every batch acknowledged before the request.
    if let Err(error) = state.writer.write_back().await {
        return message(StatusCode::SERVICE_UNAVAILABLE, format!("{error}; retry later"));
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    // A thread of its own rather than the runtime's blocking pool: the PostgreSQL client runs
    // its own runtime, which cannot start inside tokio's.
    let spawned = std::thread::Builder::new().name("uptake-metrics".into()).spawn(move || {
        let _ = sender.send(answer(&state, &endpoint, &params));
    });
    if let Err(spawn_error) = spawned {
        return message(StatusCode::SERVICE_UNAVAILABLE, spawn_error.to_string());
    }
    receiver.await.unwrap_or_else(|_| message(StatusCode::INTERNAL_SERVER_ERROR, "the metrics thread stopped"))
}

/// What every answer starts with: the day, the config version the figures were computed under
/// and, while the records are being rebuilt under a new one, how far the rebuild has come (the
/// figures count the events taken in so far).
fn header(snapshot: &Snapshot, as_of: DayNumber) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("as_of".into(), day_text(as_of).into());
    let built_under = snapshot.built_under.as_ref();
    fields.insert("config_version".into(), built_under.map(|state| state.version.clone()).into());
    if let Some(state) = built_under.filter(|state| !state.is_complete()) {
        let done = state.rebuilt_through as f64 / state.rebuild_until.max(1) as f64;
        fields.insert("rebuilding".into(), json!({"done": (done * 1000.0).round() / 1000.0}));
    }
    fields
}

fn answer(state: &AppState, endpoint: &str, params: &Params) -> Response {
    match compute(state, endpoint, params) {
        Ok(response) => response,
        Err(Refusal::Bad(problem)) => bad(problem),
        Err(Refusal::NotFound(text)) => message(StatusCode::NOT_FOUND, text),
        Err(Refusal::Store(text)) => message(StatusCode::SERVICE_UNAVAILABLE, format!("{text}; retry later")),
    }
}

enum Refusal {
    Bad(BadParameter),
    NotFound(String),
    Store(String),
}

impl From<BadParameter> for Refusal {
    fn from(problem: BadParameter) -> Self {
        Refusal::Bad(problem)
    }
}

fn read(
    state: &AppState,
    deriver: &Deriver,
    common: &Common,
    as_of: DayNumber,
    level_days: &[DayNumber],
) -> Result<Snapshot, Refusal> {
    let mut reader = state.database.open_reader().map_err(|error| Refusal::Store(error.to_string()))?;
    let reading = Reading { write_key: common.write_key.as_deref(), as_of, level_days };
    snapshot::read(reader.as_mut(), &state.records, deriver, &reading)
        .map_err(|error| Refusal::Store(error.to_string()))
}

const COMMON: [&str; 3] = ["as_of", "write_key", "format"];

fn taking(extra: &[&'static str]) -> Vec<&'static str> {
    COMMON.iter().chain(extra).copied().collect()
}

fn compute(state: &AppState, endpoint: &str, params: &Params) -> Result<Response, Refusal> {
    let live = state.live.current();
    let deriver = &live.deriver;
    let common = params.common(today(deriver))?;
    let config = deriver.program().config();
    match endpoint {
        "users" => {
            params.only(&taking(&["account", "level", "recency", "user", "limit", "offset"]))?;
            let level = params.number("level", 0, 0, 5).map(|level| params.text("level").map(|_| level as u32))?;
            let recency = params.choice("recency", &["new", "active", "at_risk", "dormant"])?.and_then(|name| {
                [RecencyClass::New, RecencyClass::Active, RecencyClass::AtRisk, RecencyClass::Dormant]
                    .into_iter()
                    .find(|class| class.name() == name)
            });
            let limit = params.number("limit", 100, 1, PAGE_MAX)?;
            let offset = params.number("offset", 0, 0, usize::MAX)?;
            let snapshot = read(state, deriver, &common, common.as_of, &[])?;
            let filter =
                answers::UserFilter { account: params.text("account"), level, recency, user: params.text("user") };
            if let Some(account) = filter.account
                && !snapshot.accounts.keys().any(|(_, id)| id == account)
            {
                return Err(Refusal::NotFound(format!("no account {account:?}")));
            }
            let mut users: Vec<_> = answers::seen(&snapshot).filter(|user| filter.passes(user)).collect();
            users.sort_by(|a, b| (&a.write_key, &a.person).cmp(&(&b.write_key, &b.person)));
            if let Some(id) = filter.user
                && users.is_empty()
            {
                return Err(Refusal::NotFound(format!("no user {id:?}")));
            }
            let total = users.len();
            let counts = answers::user_counts(&users);
            let rows = users.iter().skip(offset).take(limit).map(|user| answers::user_row(config, user)).collect();
            let mut fields = header(&snapshot, common.as_of);
            fields.insert("total".into(), total.into());
            fields.insert("counts".into(), counts);
            fields.insert("offset".into(), offset.into());
            fields.insert("limit".into(), limit.into());
            Ok(format::answer(common.format, fields, "users", rows))
        }
        "features" => {
            params.only(&COMMON)?;
            let snapshot = read(state, deriver, &common, common.as_of, &[])?;
            let rows = answers::feature_rows(config, &snapshot);
            Ok(format::answer(common.format, header(&snapshot, common.as_of), "features", rows))
        }
        "accounts" => {
            params.only(&taking(&["sort", "order", "account"]))?;
            let sort = params.choice("sort", &["risk", "health", "breadth", "dau_mau", "trend", "active_users"])?;
            let descending = params.choice("order", &["asc", "desc"])? == Some("desc");
            let snapshot = read(state, deriver, &common, common.as_of, &[])?;
            let figures = answers::account_figures_of(config, &snapshot);
            let mut rows: Vec<Value> = figures
                .iter()
                .filter(|(key, _)| params.text("account").is_none_or(|account| key.1 == account))
                .map(|(key, figures)| answers::account_row(key, figures))
                .collect();
            if let Some(account) = params.text("account")
                && rows.is_empty()
            {
                return Err(Refusal::NotFound(format!("no account {account:?}")));
            }
            sort_accounts(&mut rows, sort.unwrap_or("risk"), descending);
            Ok(format::answer(common.format, header(&snapshot, common.as_of), "accounts", rows))
        }
        "campaigns" => {
            params.only(&taking(&["rule"]))?;
            let rule = params.text("rule");
            if let Some(rule) = rule
                && !config.rules.iter().any(|candidate| candidate.id == rule && candidate.goal.is_some())
            {
                return Err(Refusal::NotFound(format!("no rule with a goal named {rule:?}")));
            }
            let snapshot = read(state, deriver, &common, common.as_of, &[])?;
            let rows = answers::campaign_rows(config, &snapshot, common.as_of, rule);
            Ok(format::answer(common.format, header(&snapshot, common.as_of), "campaigns", rows))
        }
        "versions" => {
            params.only(&["format"])?;
            let mut reader = state.database.open_reader().map_err(|error| Refusal::Store(error.to_string()))?;
            let versions = reader.config_versions().map_err(|error| Refusal::Store(error.to_string()))?;
            let built_under = reader.built_under().map_err(|error| Refusal::Store(error.to_string()))?;
            let rows = versions
                .iter()
                .map(|version| {
                    let live_from = format_timestamp(Timestamp::from_millis(version.live_from_ms));
                    json!({"version": version.version, "live_from": live_from})
                })
                .collect();
            let snapshot = Snapshot { users: Vec::new(), accounts: Default::default(), built_under };
            let mut fields = header(&snapshot, common.as_of);
            fields.insert("serving".into(), deriver.version().into());
            Ok(format::answer(common.format, fields, "versions", rows))
        }
        _ => {
            params.only(&taking(&["from", "to", "period"]))?;
            let (from, to) = params.range(common.as_of)?;
            let period = params.period()?;
            let points = (to.days_since(from) as u32) / period.days() + 1;
            let days = uptake_core::analytics::point_days(to, points, period);
            let snapshot = read(state, deriver, &common, to, &days)?;
            let rows = answers::activity_rows(&snapshot, to, points, period);
            let mut fields = header(&snapshot, to);
            fields.insert("period".into(), json!(if period.days() == 7 { "week" } else { "day" }));
            Ok(format::answer(common.format, fields, "activity", rows))
        }
    }
}

/// Accounts at risk first, then by health (lowest first); or by the field asked for.
fn sort_accounts(rows: &mut [Value], sort: &str, descending: bool) {
    let number = |row: &Value, field: &str| row[field].as_f64().unwrap_or(f64::NEG_INFINITY);
    rows.sort_by(|a, b| {
        let order = if sort == "risk" {
            b["at_risk"]
                .as_bool()
                .cmp(&a["at_risk"].as_bool())
                .then(number(a, "health").total_cmp(&number(b, "health")))
        } else {
            number(a, sort).total_cmp(&number(b, sort))
        };
        if descending { order.reverse() } else { order }
    });
}
