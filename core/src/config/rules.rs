//! `rules`: who sees what, when. A rule has a trigger (`when`), an audience, what it shows,
//! how often, the goal that measures it, a holdout share kept as a control group, and a
//! priority among rules that fire together.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::conditions::Condition;
use super::decode::{Decoder, IdKind};
use super::features::EventMatch;
use super::filter::PropertyFilter;
use crate::time::Window;

/// What a rule shows, by id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Show {
    Prompt(String),
    Tour(String),
    Checklist(String),
    Survey(String),
}

impl Show {
    pub fn id(&self) -> &str {
        match self {
            Show::Prompt(id) | Show::Tour(id) | Show::Checklist(id) | Show::Survey(id) => id,
        }
    }

    pub fn kind(&self) -> ExperienceKind {
        match self {
            Show::Prompt(_) => ExperienceKind::Prompt,
            Show::Tour(_) => ExperienceKind::Tour,
            Show::Checklist(_) => ExperienceKind::Checklist,
            Show::Survey(_) => ExperienceKind::Survey,
        }
    }
}

/// The kinds of experiences a rule can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExperienceKind {
    Prompt,
    Tour,
    Checklist,
    Survey,
}

impl ExperienceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExperienceKind::Prompt => "prompt",
            ExperienceKind::Tour => "tour",
            ExperienceKind::Checklist => "checklist",
            ExperienceKind::Survey => "survey",
        }
    }
}

/// What stops a rule for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StopWhen {
    Dismissed,
    Clicked,
    GoalReached,
}

/// How often a rule may show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    /// Shown at most this many times in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_shows: Option<u32>,
    /// At least this long between two shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval: Option<Window>,
    /// What ends the rule (default: dismissed, clicked, goal_reached).
    #[serde(default = "Frequency::default_stop_when")]
    pub stop_when: Vec<StopWhen>,
    /// After a dismissal or a snooze button, rest this long (when a dismissal does not stop it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snooze: Option<Window>,
}

impl Frequency {
    pub fn default_stop_when() -> Vec<StopWhen> {
        vec![StopWhen::Dismissed, StopWhen::Clicked, StopWhen::GoalReached]
    }

    pub fn stops_when(&self, stop: StopWhen) -> bool {
        self.stop_when.contains(&stop)
    }
}

impl Default for Frequency {
    fn default() -> Self {
        Frequency { max_shows: None, min_interval: None, stop_when: Frequency::default_stop_when(), snooze: None }
    }
}

/// What a rule is for: a feature used, or an event tracked, within a window after the user's
/// first exposure (shown, or eligible in the holdout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Goal {
    Feature(FeatureGoal),
    Event(EventGoal),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureGoal {
    pub feature: String,
    pub within: Window,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EventGoal {
    pub event: String,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<PropertyFilter>,
    pub within: Window,
}

impl Goal {
    pub fn within(&self) -> Window {
        match self {
            Goal::Feature(goal) => goal.within,
            Goal::Event(goal) => goal.within,
        }
    }

    /// The event a goal waits for, when it is an event goal.
    pub fn event_match(&self) -> Option<EventMatch> {
        match self {
            Goal::Feature(_) => None,
            Goal::Event(goal) => Some(match &goal.filter {
                None => EventMatch::Name(goal.event.clone()),
                Some(filter) => EventMatch::Filtered(super::features::FilteredEvent {
                    event: goal.event.clone(),
                    filter: filter.clone(),
                }),
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// The trigger: evaluated when something it depends on changes.
    pub when: Condition,
    /// Who may see it; evaluated with `when`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Condition>,
    pub show: Show,
    #[serde(default)]
    pub frequency: Frequency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    /// The share of the audience kept as a control group: never shown, still measured.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub holdout: f64,
    /// When several rules fire at once the highest wins; ties go to the earlier rule.
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    pub priority: i32,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

fn is_zero_i32(value: &i32) -> bool {
    *value == 0
}

const STOPS: &[(&str, StopWhen)] =
    &[("dismissed", StopWhen::Dismissed), ("clicked", StopWhen::Clicked), ("goal_reached", StopWhen::GoalReached)];

impl Decoder {
    fn show(&mut self, value: &Json<'_>) -> Option<Show> {
        const EXPECTED: &str =
            "what to show: {\"prompt\": \"id\"}, {\"tour\": \"id\"}, {\"checklist\": \"id\"} or {\"survey\": \"id\"}";
        let map = self.object(value, EXPECTED, &["prompt", "tour", "checklist", "survey"])?;
        if map.len() != 1 {
            return self.expected(EXPECTED, value);
        }
        let kinds = [
            ("prompt", IdKind::Prompt, Show::Prompt as fn(String) -> Show),
            ("tour", IdKind::Tour, Show::Tour),
            ("checklist", IdKind::Checklist, Show::Checklist),
            ("survey", IdKind::Survey, Show::Survey),
        ];
        let (key, kind, make) = kinds.into_iter().find(|(key, _, _)| map.contains_key(key))?;
        self.required(map, key, |d, v| d.reference(v, kind)).map(make)
    }

    fn frequency(&mut self, value: &Json<'_>) -> Option<Frequency> {
        let map = self.object(
            value,
            "an object with max_shows, min_interval, stop_when or snooze",
            &["max_shows", "min_interval", "stop_when", "snooze"],
        )?;
        let max_shows = self.with_default(map, "max_shows", None, |d, v| {
            d.integer(v, 1, 1000, "a whole number of shows from 1 to 1000")
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
        });
        let min_interval = self.with_default(map, "min_interval", None, |d, v| d.window(v).map(Some));
        let stop_when = self.with_default(map, "stop_when", Frequency::default_stop_when(), |d, v| {
            d.list(v, "a list of \"dismissed\", \"clicked\" and \"goal_reached\"", |d, v| {
                d.one_of(v, STOPS, "\"dismissed\", \"clicked\" or \"goal_reached\"")
            })
        });
        let snooze = self.with_default(map, "snooze", None, |d, v| d.window(v).map(Some));
        Some(Frequency { max_shows: max_shows?, min_interval: min_interval?, stop_when: stop_when?, snooze: snooze? })
    }

    fn goal(&mut self, value: &Json<'_>) -> Option<Goal> {
        const EXPECTED: &str =
            "{\"feature\": \"id\", \"within\": \"14d\"} or {\"event\": \"name\", \"within\": \"14d\"}";
        let Json::Object(map) = value else { return self.expected(EXPECTED, value) };
        if map.contains_key("feature") {
            let map = self.object(value, EXPECTED, &["feature", "within"])?;
            let feature = self.required(map, "feature", |d, v| d.reference(v, IdKind::Feature));
            let within = self.required(map, "within", Decoder::window);
            return Some(Goal::Feature(FeatureGoal { feature: feature?, within: within? }));
        }
        if map.contains_key("event") {
            let map = self.object(value, EXPECTED, &["event", "where", "within"])?;
            let event = self.required(map, "event", Decoder::name);
            let filter = self.with_default(map, "where", None, |d, v| d.property_filter(v).map(Some));
            let within = self.required(map, "within", Decoder::window);
            return Some(Goal::Event(EventGoal { event: event?, filter: filter?, within: within? }));
        }
        self.expected(EXPECTED, value)
    }

    pub(crate) fn rule(&mut self, value: &Json<'_>) -> Option<Rule> {
        const KEYS: &[&str] = &["id", "when", "audience", "show", "frequency", "goal", "holdout", "priority"];
        let map = self.object(value, "a rule: an object with \"id\", \"when\" and \"show\"", KEYS)?;
        let id = self.required(map, "id", Decoder::name);
        let when = self.required(map, "when", Decoder::condition);
        let audience = self.with_default(map, "audience", None, |d, v| d.condition(v).map(Some));
        let show = self.required(map, "show", Decoder::show);
        let frequency = self.with_default(map, "frequency", Frequency::default(), Decoder::frequency);
        let goal = self.with_default(map, "goal", None, |d, v| d.goal(v).map(Some));
        let holdout = self.with_default(map, "holdout", 0.0, |d, v| {
            d.share(
                v,
                0.0,
                0.99,
                "a share of the audience from 0 to 0.99 (a holdout of 1 would show the rule to nobody)",
            )
        });
        let priority = self.with_default(map, "priority", 0, |d, v| {
            d.integer(v, -1000, 1000, "a whole number from -1000 to 1000").and_then(|n| i32::try_from(n).ok())
        });
        Some(Rule {
            id: id?,
            when: when?,
            audience: audience?,
            show: show?,
            frequency: frequency?,
            goal: goal?,
            holdout: holdout?,
            priority: priority?,
        })
    }
}
