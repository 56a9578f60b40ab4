//! `uptake-core`: the sans-IO brain of Uptake, shared by the browser SDK and the collector.
//!
//! It owns the event model, the feature-usage record kept on the device, the config and its
//! validation, rule evaluation and the batching queue. It has no browser API, no I/O and no clock
//! of its own: callers pass time in and perform the effects it returns, so everything here is
//! tested natively, in milliseconds, on a simulated clock.

pub mod analytics;
pub mod checklist;
pub mod config;
pub mod decimal;
pub mod engine;
pub mod event;
pub mod exposure;
pub mod hash;
pub mod ids;
pub mod iso8601;
pub mod json_fields;
pub mod json_reader;
pub mod json_writer;
pub mod layout;
pub mod markup;
pub mod merge;
pub mod model;
pub mod order;
pub mod outbox;
pub mod program;
pub mod quote;
pub mod state;
pub mod table;
pub mod time;
pub mod tour;
pub mod usage;
