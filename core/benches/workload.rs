//! The workload of the benchmarks, shared by the criterion benchmarks and the browser benchmark
//! (through `cargo run --example bench_workload`): 200 features and 1,000 rules of several
//! shapes over them.

use serde_json::{Value, json};

pub const FEATURES: usize = 200;
pub const RULES: usize = 1000;

/// 200 features, each used through its own event; 1,000 rules over them, of several shapes.
pub fn config_json(rules: usize, padding: usize) -> Value {
    let features: Vec<Value> = (0..FEATURES)
        .map(|f| {
            json!({
                "id": format!("feature.{f:03}"),
                "name": format!("Feature {f}"),
                "events": [format!("event.{f:03}"), {"event": format!("event.{f:03}.alt"), "where": {"manual": true}}],
                "activation": f == 0,
                "roles": if f % 10 == 0 { json!(["admin"]) } else { json!([]) },
            })
        })
        .collect();
    let rules: Vec<Value> = (0..rules)
        .map(|r| {
            let event = format!("event.{:03}", r % FEATURES);
            let other = format!("feature.{:03}", (r + 1) % FEATURES);
            let when = match r % 4 {
                0 => json!({"all": [
                    {"event": event, "count": {"gte": 5}, "within": "7d"},
                    {"feature": other, "used": false, "within": "90d"}
                ]}),
                1 => json!({"all": [
                    {"sequence": [event, format!("event.{:03}", (r + 7) % FEATURES)], "count": {"gte": 3}, "within": "7d"},
                    {"level": {"gte": 2}}
                ]}),
                2 => json!({"all": [
                    {"event": event, "where": {"amount": {"gte": 1000}}, "count": {"gte": 2}, "within": "1d"},
                    {"trait": "role", "in": ["admin", "approver"]},
                    {"depth": {"lt": 0.8}}
                ]}),
                _ => json!({"any": [
                    {"all": [{"event": event, "count": {"lte": 2}, "within": "30d"}, {"recency": ["active", "at_risk"]}]},
                    {"barrier": {"feature": other, "is": "stuck"}}
                ]}),
            };
            json!({
                "id": format!("rule.{r:04}"),
                "when": when,
                "audience": {"tenure_days": {"gte": 30}},
                "show": {"prompt": format!("prompt.{r:04}")},
                "priority": r % 7,
                "frequency": {"max_shows": 3, "min_interval": "1d"},
                "goal": {"feature": other, "within": "14d"},
                "holdout": 0.1
            })
        })
        .collect();
    let prompts: Vec<Value> = (0..rules.len())
        .map(|r| {
            json!({
                "id": format!("prompt.{r:04}"),
                "title": {"en": "Try it", "ja": "試してみましょう"},
                "body": {"en": format!("Body {r} {}", "lorem ipsum ".repeat(padding)), "ja": "本文"},
                "buttons": [{"label": "Show me", "action": {"navigate": "/automations"}}, {"label": "Later", "action": "snooze"}]
            })
        })
        .collect();
    json!({"version": 1, "features": features, "rules": rules, "prompts": prompts})
}
