//! The JSON Schema of the config, generated from the config types, so that an editor completes
//! and checks a config as the decoder reads it. The committed copy is compared with this one by
//! a test of the collector (`uptake-collector schema` writes it).

use super::Config;

/// The schema as pretty-printed JSON, ending with a newline.
pub fn config_schema_json() -> String {
    let mut schema = schemars::schema_for!(Config);
    schema.insert("title".to_owned(), "Uptake config".into());
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    format!("{text}\n")
}
