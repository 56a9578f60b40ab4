//! The PM's JSON config: the feature catalog, the rules and what they show (prompts, tours,
//! checklists, surveys), and the settings of the adoption model.
//!
//! The types mirror the JSON exactly (serde derives give the same shape, and the JSON Schema is
//! generated from them), but configs are read by a hand-written decoder so that every error
//! names its path (`rules[0].when.count.gte`), says what was expected and what was found, and
//! all errors are reported at once. After decoding, ids are checked (duplicates, references to
//! missing items) and rules that can never show are refused.

mod analysis;
mod checklists;
mod compact;
mod compare;
mod conditions;
mod decode;
mod error;
mod features;
mod filter;
mod glob;
mod json;
mod prompts;
mod rules;
mod safe_url;
#[cfg(any(test, feature = "schema"))]
mod schema;
mod settings;
mod sorted_map;
mod surveys;
mod text;
mod tours;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hash::IdMap;
use json::Json;

pub use checklists::{Checklist, ChecklistItem};
pub use compact::{COMPACT_FORMAT, CompactError};
pub use compare::Comparison;
pub use conditions::{
    AccountTraitCondition, AllCondition, AnyCondition, Barrier, BarrierCondition, BarrierTest, COUNT_MAX, Condition,
    DepthCondition, ElementCondition, EventCondition, FeatureCondition, LevelCondition, NotCondition, OneOrMany,
    PageCondition, RecencyClass, RecencyCondition, SEQUENCE_MAX_STEPS, SequenceCondition, TenureCondition,
    TraitCondition,
};
pub use error::{ConfigError, ConfigErrors, ConfigProblem};
pub use features::{
    Category, EntryPoint, EventEntryPoint, EventMatch, FeatureDefinition, FilteredEvent, Impact, SelectorEntryPoint,
    Tier,
};
pub(crate) use filter::as_instant;
pub use filter::{DateBound, PropertyFilter, Scalar, ValueOperators, ValueTest, property};
pub use glob::PathGlob;
pub use prompts::{
    Anchor, Badge, ButtonAction, Display, Edge, HotspotDisplay, PROMPT_MAX_BUTTONS, Prompt, PromptButton,
};
pub use rules::{EventGoal, ExperienceKind, FeatureGoal, Frequency, Goal, Rule, Show, StopWhen};
pub use safe_url::is_safe_url;
#[cfg(any(test, feature = "schema"))]
pub use schema::config_schema_json;
pub use settings::{ModelSettings, Settings, Theme, Throttle};
pub use sorted_map::SortedMap;
pub use surveys::{Survey, SurveyKind};
pub use text::Text;
pub use tours::{Advance, MissingTarget, MissingThen, Placement, TOUR_MAX_STEPS, Tour, TourStep};

use decode::{Decoder, IdKind};

/// The config format this code reads (`"version": 1`).
pub const CONFIG_FORMAT_VERSION: u32 = 1;

/// A decoded, checked config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The JSON Schema an editor checks this file against.
    #[serde(default, rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The config format version: 1.
    #[cfg_attr(any(test, feature = "schema"), schemars(range(min = 1, max = 1)))]
    pub version: u32,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<FeatureDefinition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<Prompt>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tours: Vec<Tour>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklists: Vec<Checklist>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surveys: Vec<Survey>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            schema: None,
            version: CONFIG_FORMAT_VERSION,
            settings: Settings::default(),
            features: Vec::new(),
            rules: Vec::new(),
            prompts: Vec::new(),
            tours: Vec::new(),
            checklists: Vec::new(),
            surveys: Vec::new(),
        }
    }
}

const TOP_LEVEL_KEYS: &[&str] =
    &["$schema", "version", "settings", "features", "rules", "prompts", "tours", "checklists", "surveys"];

impl Config {
    /// Parses JSON text; a syntax error gives its line and column.
    pub fn from_json_text(text: &str) -> Result<Config, ConfigErrors> {
        let value: Json<'_> = serde_json::from_str(text).map_err(|error| {
            let mut message = error.to_string();
            // serde_json appends " at line L column C"; the fields carry them already.
            let position = format!(" at line {} column {}", error.line(), error.column());
            if message.ends_with(&position) {
                message.truncate(message.len() - position.len());
            }
            ConfigErrors(vec![ConfigError {
                path: String::new(),
                problem: ConfigProblem::Syntax { line: error.line(), column: error.column(), message },
            }])
        })?;
        Config::decode(&value)
    }

    /// Decodes and checks a parsed JSON value.
    pub fn from_json(value: &Value) -> Result<Config, ConfigErrors> {
        Config::decode(&Json::from(value))
    }

    fn decode(value: &Json<'_>) -> Result<Config, ConfigErrors> {
        let mut decoder = Decoder::default();
        let config = decoder.config(value);
        check_ids(&mut decoder, value);
        if let Some(config) = &config {
            analysis::report_unreachable_rules(&mut decoder, config);
        }
        match config {
            Some(config) if !decoder.has_errors() => Ok(config),
            _ => Err(ConfigErrors(decoder.into_errors())),
        }
    }

    pub fn prompt(&self, id: &str) -> Option<&Prompt> {
        self.prompts.iter().find(|prompt| prompt.id == id)
    }

    pub fn tour(&self, id: &str) -> Option<&Tour> {
        self.tours.iter().find(|tour| tour.id == id)
    }

    pub fn checklist(&self, id: &str) -> Option<&Checklist> {
        self.checklists.iter().find(|checklist| checklist.id == id)
    }

    pub fn survey(&self, id: &str) -> Option<&Survey> {
        self.surveys.iter().find(|survey| survey.id == id)
    }
}

impl Decoder {
    fn config(&mut self, value: &Json<'_>) -> Option<Config> {
        let map = self.object(
            value,
            "a config: an object with \"version\", \"features\", \"rules\" and \"prompts\"",
            TOP_LEVEL_KEYS,
        )?;
        let schema = self.with_default(map, "$schema", None, |d, v| match v {
            Json::String(url) => Some(Some(url.to_string())),
            other => d.expected("the URL or path of a JSON Schema", other),
        });
        let version = self.required(map, "version", |d, v| {
            d.integer(v, 1, 1, "1, the config format version").map(|_| CONFIG_FORMAT_VERSION)
        });
        let settings = self.with_default(map, "settings", Settings::default(), Decoder::settings);
        let features =
            self.with_default(map, "features", Vec::new(), |d, v| d.list(v, "a list of features", Decoder::feature));
        let rules = self.with_default(map, "rules", Vec::new(), |d, v| d.list(v, "a list of rules", Decoder::rule));
        let prompts =
            self.with_default(map, "prompts", Vec::new(), |d, v| d.list(v, "a list of prompts", Decoder::prompt));
        let tours = self.with_default(map, "tours", Vec::new(), |d, v| d.list(v, "a list of tours", Decoder::tour));
        let checklists = self
            .with_default(map, "checklists", Vec::new(), |d, v| d.list(v, "a list of checklists", Decoder::checklist));
        let surveys =
            self.with_default(map, "surveys", Vec::new(), |d, v| d.list(v, "a list of surveys", Decoder::survey));
        Some(Config {
            schema: schema?,
            version: version?,
            settings: settings?,
            features: features?,
            rules: rules?,
            prompts: prompts?,
            tours: tours?,
            checklists: checklists?,
            surveys: surveys?,
        })
    }
}

/// The id of each item of `items`, with its path.
fn ids_of<'v>(value: &'v Json<'_>, list: &str) -> Vec<(&'v str, String)> {
    let items = value.get(list).and_then(Json::as_array).unwrap_or_default();
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| Some((item.get("id")?.as_str()?, format!("{list}[{index}].id"))))
        .collect()
}

/// Reports each id of `ids` used again after its first use; returns the ids, each with the index
/// of its first use in `ids`. (The config checks, the compiler and the program all index ids
/// with `IdMap<usize>`: one map type is one copy of the hash table's code in the wasm.)
fn report_duplicates(decoder: &mut Decoder, ids: &[(&str, String)]) -> IdMap<usize> {
    let mut first_uses: IdMap<usize> = IdMap::default();
    for (index, (id, path)) in ids.iter().enumerate() {
        match first_uses.get(*id) {
            Some(&first) => {
                let problem = ConfigProblem::DuplicateId { id: (*id).to_owned(), first_path: ids[first].1.clone() };
                decoder.report_at(path.clone(), problem);
            }
            None => {
                first_uses.insert((*id).to_owned(), index);
            }
        }
    }
    first_uses
}

/// Reports ids used twice in a list, and references to ids no item has.
fn check_ids(decoder: &mut Decoder, value: &Json<'_>) {
    let lists = [
        ("features", Some(IdKind::Feature)),
        ("rules", None),
        ("prompts", Some(IdKind::Prompt)),
        ("tours", Some(IdKind::Tour)),
        ("checklists", Some(IdKind::Checklist)),
        ("surveys", Some(IdKind::Survey)),
    ];
    let mut known: Vec<(IdKind, IdMap<usize>)> = Vec::new();
    for (list, kind) in lists {
        let first_uses = report_duplicates(decoder, &ids_of(value, list));
        if let Some(kind) = kind {
            known.push((kind, first_uses));
        }
    }
    let checklists = value.get("checklists").and_then(Json::as_array).unwrap_or_default();
    for (index, checklist) in checklists.iter().enumerate() {
        let list = format!("checklists[{index}].items");
        let items = ids_of(checklist, "items").into_iter();
        let items: Vec<_> =
            items.map(|(id, path)| (id, format!("{list}{}", path.strip_prefix("items").unwrap_or(&path)))).collect();
        report_duplicates(decoder, &items);
    }
    for reference in decoder.take_references() {
        let ids = known.iter().find(|(kind, _)| *kind == reference.kind).map(|(_, ids)| ids);
        if !ids.is_some_and(|ids| ids.contains_key(reference.id.as_str())) {
            let problem = ConfigProblem::UnknownReference { kind: reference.kind.noun(), id: reference.id };
            decoder.report_at(reference.path, problem);
        }
    }
}

#[cfg(test)]
mod tests;
