//! Config errors a PM can act on: each names the place in the JSON (`rules[0].when.count.gte`),
//! what was expected and what was found. Decoding collects all of them, not only the first.

use std::fmt;

/// One problem in a config, at a JSON path.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct ConfigError {
    /// Where in the JSON, as `rules[0].when.all[1].count.gte`; empty for the top level.
    pub path: String,
    pub problem: ConfigProblem,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { write!(f, "{}", self.problem) } else { write!(f, "{}: {}", self.path, self.problem) }
    }
}

/// What is wrong at a path.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("expected {expected}, found {found}")]
    Expected { expected: &'static str, found: String },
    #[error("the key \"{key}\" appears more than once in this object")]
    DuplicateKey { key: String },
    #[error("missing field \"{field}\"")]
    MissingField { field: &'static str },
    #[error("unknown field \"{field}\"; expected one of: {}", .expected.join(", "))]
    UnknownField { field: String, expected: &'static [&'static str] },
    #[error("duplicate id \"{id}\" (first used at {first_path})")]
    DuplicateId { id: String, first_path: String },
    #[error("no {kind} has the id \"{id}\"")]
    UnknownReference { kind: &'static str, id: String },
    #[error("at most {max} {what} allowed, found {found}")]
    TooMany { what: &'static str, max: usize, found: usize },
    #[error("this rule can never show: {reason}")]
    NeverHolds { reason: String },
}

/// Every problem found in a config: decoding errors in document order, then id errors.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
