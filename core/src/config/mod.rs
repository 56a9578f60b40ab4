//! The PM's JSON config: the feature catalog, the rules and what they show. Decoded by hand
//! from JSON so that every error names its path (`rules[0].when.count.gte`), says what was
//! expected and what was found, and all errors are reported at once. Ids must be unique and
//! every id referred to must exist.

mod decode;
mod error;
mod features;
mod prompts;
mod rules;
mod safe_url;
mod settings;

use std::collections::HashMap;

use serde_json::Value;

pub use error::{ConfigError, ConfigErrors, ConfigProblem};
pub use features::FeatureDefinition;
pub use prompts::{ButtonAction, PROMPT_MAX_BUTTONS, Prompt, PromptButton};
pub use rules::{COUNT_MAX, Condition, CountRange, EventCondition, FeatureCondition, Rule, Show};
pub use safe_url::is_safe_url;
pub use settings::{Settings, Throttle};

use decode::{Decoder, IdKind};

/// The config format this code reads (`"version": 1`).
pub const CONFIG_FORMAT_VERSION: i64 = 1;

/// A decoded, checked config.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Config {
    pub settings: Settings,
    pub features: Vec<FeatureDefinition>,
    pub rules: Vec<Rule>,
    pub prompts: Vec<Prompt>,
}

const TOP_LEVEL_KEYS: &[&str] = &["$schema", "version", "settings", "features", "rules", "prompts"];

impl Config {
    /// Parses JSON text; a syntax error gives its line and column.
    pub fn from_json_text(text: &str) -> Result<Config, ConfigErrors> {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            let message = error.to_string();
            // serde_json appends " at line L column C"; the fields carry them already.
            let message = message.split(" at line ").next().unwrap_or_default().to_owned();
            ConfigErrors(vec![ConfigError {
                path: String::new(),
                problem: ConfigProblem::Syntax { line: error.line(), column: error.column(), message },
            }])
        })?;
        Config::from_json(&value)
    }

    /// Decodes and checks a parsed JSON value.
    pub fn from_json(value: &Value) -> Result<Config, ConfigErrors> {
        let mut decoder = Decoder::default();
        let config = decode_config(&mut decoder, value);
        check_ids(&mut decoder, value);
        match config {
            Some(config) if !decoder.has_errors() => Ok(config),
            _ => Err(ConfigErrors(decoder.into_errors())),
        }
    }

    pub fn prompt(&self, id: &str) -> Option<&Prompt> {
        self.prompts.iter().find(|prompt| prompt.id == id)
    }
}

fn decode_config(decoder: &mut Decoder, value: &Value) -> Option<Config> {
    let map = decoder.object(
        value,
        "a config: an object with \"version\", \"features\", \"rules\" and \"prompts\"",
        TOP_LEVEL_KEYS,
    )?;
    decoder.required(map, "version", |d, v| {
        d.integer(v, CONFIG_FORMAT_VERSION, CONFIG_FORMAT_VERSION, "1, the config format version")
    });
    let settings = decoder.with_default(map, "settings", Settings::default(), settings::decode_settings);
    let features = decoder
        .with_default(map, "features", Vec::new(), |d, v| d.list(v, "a list of features", features::decode_feature));
    let rules = decoder.with_default(map, "rules", Vec::new(), |d, v| d.list(v, "a list of rules", rules::decode_rule));
    let prompts =
        decoder.with_default(map, "prompts", Vec::new(), |d, v| d.list(v, "a list of prompts", prompts::decode_prompt));
    Some(Config { settings: settings?, features: features?, rules: rules?, prompts: prompts? })
}

/// Reports duplicate ids within each list, and references to ids no item has.
fn check_ids(decoder: &mut Decoder, value: &Value) {
    let mut known: HashMap<&'static str, HashMap<&str, String>> = HashMap::new();
    for (list, kind) in [("features", IdKind::Feature.noun()), ("rules", "rule"), ("prompts", IdKind::Prompt.noun())] {
        let ids = known.entry(kind).or_default();
        let items = value.get(list).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for (index, item) in items.iter().enumerate() {
            let Some(id) = item.get("id").and_then(Value::as_str) else { continue };
            let path = format!("{list}[{index}].id");
            if let Some(first_path) = ids.get(id) {
                let problem = ConfigProblem::DuplicateId { id: id.to_owned(), first_path: first_path.clone() };
                decoder.report_at(path, problem);
            } else {
                ids.insert(id, path);
            }
        }
    }
    for reference in decoder.take_references() {
        let kind = reference.kind.noun();
        if !known.get(kind).is_some_and(|ids| ids.contains_key(reference.id.as_str())) {
            decoder.report_at(reference.path, ConfigProblem::UnknownReference { kind, id: reference.id });
        }
    }
}

#[cfg(test)]
mod tests;
