//! What a stored event means under a config, for the collector: the catalog features it is a
//! use of, the entry points it is, the rule goals it touches and the experience outcome it
//! reports. The same matchers decide it as on the device (`record_event`), so the collector's
//! figures count exactly what the device counts; the stores keep the tags with the event and
//! only group them by user, feature and day.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Program;
use crate::engine::sdk_events;
use crate::exposure::Variant;
use crate::time::Timestamp;

/// What one event means. Empty for an event that concerns no feature and no rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTags {
    /// Catalog features it is a use of.
    #[serde(default, rename = "f", skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Catalog features whose entry point it is (an event entry point, or the SDK's report of
    /// a selector entry point seen).
    #[serde(default, rename = "e", skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    /// Rules whose goal it is.
    #[serde(default, rename = "g", skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<String>,
    /// What it says about a rule's experience.
    #[serde(default, rename = "x", skip_serializing_if = "Option::is_none")]
    pub experience: Option<ExperienceTag>,
}

impl EventTags {
    pub fn is_empty(&self) -> bool {
        *self == EventTags::default()
    }
}

/// An SDK event about a rule's experience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperienceTag {
    #[serde(rename = "r")]
    pub rule: String,
    #[serde(rename = "s")]
    pub step: ExperienceStep,
    #[serde(default, rename = "v", skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
}

/// Which SDK event about an experience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceStep {
    Shown,
    /// Eligible, kept in the holdout: not shown, measured.
    HeldOut,
    Dismissed,
    Snoozed,
    /// A button that does something.
    Clicked,
}

impl ExperienceStep {
    /// The step an SDK event reports, as the engine records it on the rule: a tour completed, a
    /// survey answered or a checklist completed count as a click, a tour closed as a dismissal.
    fn of_event(name: &str, properties: &Map<String, Value>) -> Option<ExperienceStep> {
        Some(match name {
            sdk_events::EXPERIENCE_SHOWN => ExperienceStep::Shown,
            sdk_events::EXPERIENCE_HELD_OUT => ExperienceStep::HeldOut,
            sdk_events::EXPERIENCE_DISMISSED => ExperienceStep::Dismissed,
            sdk_events::EXPERIENCE_SNOOZED => ExperienceStep::Snoozed,
            sdk_events::EXPERIENCE_ACTION
            | sdk_events::TOUR_COMPLETED
            | sdk_events::SURVEY_ANSWERED
            | sdk_events::CHECKLIST_COMPLETED => ExperienceStep::Clicked,
            sdk_events::TOUR_ABANDONED if properties.get("reason").and_then(Value::as_str) == Some("closed") => {
                ExperienceStep::Dismissed
            }
            _ => return None,
        })
    }
}

fn push_once(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|known| known == id) {
        list.push(id.to_owned());
    }
}

impl Program {
    /// The tags of a tracked event `name` with `properties`, that happened at `at`.
    pub fn tag_event(&self, name: &str, properties: &Map<String, Value>, at: Timestamp) -> EventTags {
        let mut tags = EventTags::default();
        let config = self.config();
        let feature_id = |index: usize| config.features.get(index).map(|feature| feature.id.as_str());
        let rule_id = |index: usize| config.rules.get(index).map(|rule| rule.id.as_str());
        let mut features_used = Vec::new();
        for &matcher in self.events.matchers_of(name).unwrap_or_default() {
            let passes =
                self.matchers.get(matcher).is_some_and(|m| m.filter.as_ref().is_none_or(|f| f.matches(properties, at)));
            if !passes {
                continue;
            }
            for &feature in self.feature_uses.get(matcher).map_or(&[][..], Vec::as_slice) {
                if !features_used.contains(&feature) {
                    features_used.push(feature);
                }
            }
            for id in self.entry_points.get(matcher).into_iter().flatten().filter_map(|&f| feature_id(f)) {
                push_once(&mut tags.entries, id);
            }
            for id in self.goals_by_matcher.get(matcher).into_iter().flatten().filter_map(|&r| rule_id(r)) {
                push_once(&mut tags.goals, id);
            }
        }
        let named_feature = properties.get("feature").and_then(Value::as_str).and_then(|id| self.feature_index(id));
        match (name, named_feature) {
            (sdk_events::FEATURE_USED, Some(feature)) if !features_used.contains(&feature) => {
                features_used.push(feature)
            }
            (sdk_events::FEATURE_ENTRY_SEEN, Some(feature)) => {
                if let Some(id) = feature_id(feature) {
                    push_once(&mut tags.entries, id);
                }
            }
            _ => {}
        }
        for &feature in &features_used {
            if let Some(id) = feature_id(feature) {
                tags.features.push(id.to_owned());
            }
            for id in self.goals_by_feature.get(feature).into_iter().flatten().filter_map(|&r| rule_id(r)) {
                push_once(&mut tags.goals, id);
            }
        }
        if properties.get("preview").and_then(Value::as_bool) == Some(true) {
            return tags;
        }
        let rule = properties.get("rule_id").and_then(Value::as_str).filter(|id| rule_id_known(config, id));
        if let Some(rule) = rule {
            if name == sdk_events::GOAL_REACHED {
                push_once(&mut tags.goals, rule);
            } else if let Some(step) = ExperienceStep::of_event(name, properties) {
                let variant = match properties.get("variant").and_then(Value::as_str) {
                    Some("treatment") => Some(Variant::Treatment),
                    Some("holdout") => Some(Variant::Holdout),
                    _ => None,
                };
                tags.experience = Some(ExperienceTag { rule: rule.to_owned(), step, variant });
            }
        }
        tags
    }
}

fn rule_id_known(config: &crate::config::Config, id: &str) -> bool {
    config.rules.iter().any(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::Config;

    fn program() -> Program {
        let config = Config::from_json(&json!({
            "version": 1,
            "features": [
                {"id": "invoices.approve", "name": "Approve", "events": ["invoice.approved"], "activation": true},
                {"id": "workflow.automation", "name": "Automate", "events": [
                    {"event": "automation.created", "where": {"source": "wizard"}}
                ], "entry_point": {"event": "automations.opened"}},
                {"id": "reports.export", "name": "Export", "events": ["report.exported"],
                 "entry_point": {"selector": "#export"}}
            ],
            "prompts": [{"id": "p", "title": "Automate?"}],
            "rules": [{
                "id": "automate", "when": {"event": "invoice.approved", "count": {"gte": 5}},
                "show": {"prompt": "p"}, "goal": {"feature": "workflow.automation", "within": "14d"},
                "holdout": 0.1
            }]
        }))
        .unwrap();
        Program::compile(config)
    }

    fn tag(name: &str, properties: serde_json::Value) -> EventTags {
        let properties = properties.as_object().cloned().unwrap_or_default();
        program().tag_event(name, &properties, Timestamp::from_millis(0))
    }

    #[test]
    fn a_use_is_tagged_with_its_feature_and_the_goals_it_reaches() {
        let tags = tag("automation.created", json!({"source": "wizard"}));
        assert_eq!(tags.features, ["workflow.automation"]);
        assert_eq!(tags.goals, ["automate"]);
        assert!(tag("automation.created", json!({"source": "api"})).is_empty(), "its where fails");
        assert_eq!(tag("invoice.approved", json!({})).features, ["invoices.approve"]);
    }

    #[test]
    fn entry_points_are_tagged_from_their_event_and_from_the_sdk_report() {
        assert_eq!(tag("automations.opened", json!({})).entries, ["workflow.automation"]);
        assert_eq!(tag("feature_entry_seen", json!({"feature": "reports.export"})).entries, ["reports.export"]);
        assert!(tag("feature_entry_seen", json!({"feature": "unknown"})).is_empty());
    }

    #[test]
    fn a_marked_click_counts_for_a_catalog_feature_only() {
        assert_eq!(tag("feature_used", json!({"feature": "reports.export"})).features, ["reports.export"]);
        assert!(tag("feature_used", json!({"feature": "not.in.catalog"})).is_empty());
    }

    #[test]
    fn experience_events_are_tagged_with_their_rule_step_and_variant() {
        let shown = tag("experience_shown", json!({"rule_id": "automate", "variant": "treatment"}));
        assert_eq!(
            shown.experience,
            Some(ExperienceTag {
                rule: "automate".into(),
                step: ExperienceStep::Shown,
                variant: Some(Variant::Treatment)
            })
        );
        let held = tag("experience_held_out", json!({"rule_id": "automate", "variant": "holdout"}));
        assert_eq!(
            held.experience.map(|x| (x.step, x.variant)),
            Some((ExperienceStep::HeldOut, Some(Variant::Holdout)))
        );
        assert_eq!(tag("goal_reached", json!({"rule_id": "automate"})).goals, ["automate"]);
        assert!(tag("experience_shown", json!({"rule_id": "automate", "preview": true})).is_empty(), "a preview");
        assert!(tag("experience_shown", json!({"rule_id": "gone"})).is_empty(), "not a rule of this config");
    }

    #[test]
    fn the_ends_of_tours_surveys_and_checklists_count_as_the_engine_counts_them() {
        let step = |name: &str, properties: serde_json::Value| tag(name, properties).experience.map(|x| x.step);
        let rule = |extra: serde_json::Value| {
            let mut properties = json!({"rule_id": "automate"});
            for (key, value) in extra.as_object().into_iter().flatten() {
                properties[key] = value.clone();
            }
            properties
        };
        assert_eq!(step("tour_completed", rule(json!({}))), Some(ExperienceStep::Clicked));
        assert_eq!(step("tour_abandoned", rule(json!({"reason": "closed"}))), Some(ExperienceStep::Dismissed));
        assert_eq!(step("tour_abandoned", rule(json!({"reason": "target_missing"}))), None);
        assert_eq!(step("survey_answered", rule(json!({"score": 9}))), Some(ExperienceStep::Clicked));
        assert_eq!(step("checklist_completed", rule(json!({}))), Some(ExperienceStep::Clicked));
        assert_eq!(step("tour_completed", json!({"tour_id": "t"})), None, "a tour no rule started");
    }

    #[test]
    fn tags_are_stored_in_a_short_form() {
        let tags = tag("automation.created", json!({"source": "wizard"}));
        let text = serde_json::to_string(&tags).unwrap();
        assert_eq!(text, r#"{"f":["workflow.automation"],"g":["automate"]}"#);
        assert_eq!(serde_json::from_str::<EventTags>(&text).unwrap(), tags);
        assert_eq!(serde_json::to_string(&EventTags::default()).unwrap(), "{}");
    }
}
