//! Fuzzes config parsing: any bytes are either refused with errors or decoded into a config
//! that reads back equal from its compiled form, compiles, loads into an engine and evaluates
//! without panicking. Bytes the decoder refuses are read as a compiled config the way an SDK
//! reads one (the core's `json_reader`, then `Config::from_compact`), which is refused or loaded
//! and run the same way. The SDK's JSON reader must take what serde_json takes, and refuse what
//! it refuses (but for lone surrogates in `\u` escapes, which it reads as U+FFFD).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptake_core::config::{CompactError, Config, ExperienceKind};
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::json_reader;
use uptake_core::json_writer::serde_float;
use uptake_core::outbox::OutboxSettings;
use uptake_core::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let read = json_reader::parse(text, |number| number.parse().ok());
    let serde_reads = serde_json::from_str::<serde_json::Value>(text).is_ok();
    if !text.contains("\\u") {
        assert_eq!(read.is_some(), serde_reads, "the SDK's JSON reader takes what serde_json takes");
    } else if serde_reads {
        assert!(read.is_some(), "the SDK's JSON reader takes what serde_json takes");
    }
    let config = match Config::from_json_text(text) {
        Ok(config) => {
            let mut compiled = Config::from_compact_json(&config.to_compact_json()).expect("a compiled config reads back");
            compiled.schema = config.schema.clone();
            assert_eq!(compiled, config, "a config reads back equal from its compiled form");
            config
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "a refusal names at least one error");
            let _ = errors.to_string();
            match read.as_ref().map_or(Err(CompactError::NotAnArray), Config::from_compact) {
                Ok(config) => config,
                Err(error) => {
                    let _ = error.to_string();
                    return;
                }
            }
        }
    };
    let mut engine = Engine::new(EngineOptions {
        write_key: None,
        outbox: OutboxSettings::default(),
        seed: [1; 32],
        anonymous_id: None,
        user_id: None,
        traits: serde_json::Map::new(),
        renderable: vec![ExperienceKind::Prompt, ExperienceKind::Tour, ExperienceKind::Checklist, ExperienceKind::Survey],
        write_float: serde_float,
    });
    let now = Timestamp::from_millis(1_795_000_000_000);
    engine.load_config(config.clone(), now);
    for feature in &config.features {
        for event in &feature.events {
            let _ = engine.track(event.event(), serde_json::Map::new(), now);
        }
    }
    let present = vec![true; engine.selectors().len()];
    let _ = engine.set_elements(&present, now);
    let _ = engine.page(None, serde_json::Map::new(), now);
});
