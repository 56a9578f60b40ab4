//! Path globs for page conditions: `/invoices/*` matches one path segment, `/reports/**`
//! any depth, `?` one character. A hash route is part of the path (`/#/reports`): apps that
//! route with hashes have no other path. Compiled once when the config loads; matching allocates
//! nothing.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any characters other than `/`.
    Segment,
    /// `**`: any characters.
    Any,
}

/// A compiled path glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathGlob {
    pattern: String,
    tokens: Vec<Token>,
}

/// Why a glob was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("a path glob starts with \"/\", such as \"/invoices/*\", and has at most 255 characters")]
    NotAPath,
    #[error(
        "a path glob has no spaces, control characters, \"#\" other than a \"#/\" hash route, or more than two \"*\" in a row"
    )]
    BadCharacter,
}

impl PathGlob {
    pub fn parse(pattern: &str) -> Result<PathGlob, GlobError> {
        if !pattern.starts_with('/') || pattern.chars().count() > MAX_TOKENS {
            return Err(GlobError::NotAPath);
        }
        let stray_hash = pattern.match_indices('#').any(|(at, _)| !pattern[at + 1..].starts_with('/'));
        if pattern.as_bytes().windows(3).any(|three| three == b"***")
            || stray_hash
            || pattern.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(GlobError::BadCharacter);
        }
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    Token::Any
                }
                '*' => Token::Segment,
                '?' => Token::One,
                literal => Token::Literal(literal),
            });
        }
        if tokens.len() > MAX_TOKENS {
            return Err(GlobError::NotAPath);
        }
        Ok(PathGlob { pattern: pattern.to_owned(), tokens })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The one path this glob matches, when it has no wildcard: where to go to be on it.
    pub fn single_path(&self) -> Option<&str> {
        self.tokens.iter().all(|token| matches!(token, Token::Literal(_))).then_some(self.pattern.as_str())
    }

    /// Whether `path` (without query or fragment) matches. Simulates the glob as an automaton
    /// whose states are token positions, held in a bitset: linear in the path, no allocation.
    pub fn matches(&self, path: &str) -> bool {
        let mut active = States::default();
        active.insert(0);
        self.close(&mut active);
        for c in path.chars() {
            let mut next = States::default();
            for (index, token) in self.tokens.iter().enumerate() {
                if !active.contains(index) {
                    continue;
                }
                match token {
                    Token::Literal(literal) if *literal == c => next.insert(index + 1),
                    Token::One if c != '/' => next.insert(index + 1),
                    Token::Segment if c != '/' => next.insert(index),
                    Token::Any => next.insert(index),
                    _ => {}
                }
            }
            self.close(&mut next);
            if next.is_empty() {
                return false;
            }
            active = next;
        }
        active.contains(self.tokens.len())
    }

    /// Adds the states reachable without reading: a star may match nothing.
    fn close(&self, states: &mut States) {
        for (index, token) in self.tokens.iter().enumerate() {
            if states.contains(index) && matches!(token, Token::Segment | Token::Any) {
                states.insert(index + 1);
            }
        }
    }
}

/// The most tokens a glob may have (the automaton's states fit in a fixed bitset).
const MAX_TOKENS: usize = 255;

#[derive(Clone, Copy, Default)]
struct States([u64; 4]);

impl States {
    fn insert(&mut self, index: usize) {
        if let Some(word) = self.0.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    fn contains(&self, index: usize) -> bool {
        self.0.get(index / 64).is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
}

impl Serialize for PathGlob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pattern)
    }
}

impl<'de> Deserialize<'de> for PathGlob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        PathGlob::parse(&pattern).map_err(serde::de::Error::custom)
    }
}

#[cfg(any(test, feature = "schema"))]
impl schemars::JsonSchema for PathGlob {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PathGlob".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A path glob: `*` one segment, `**` any depth, `?` one character.",
            "pattern": "^/([^\\s#]|#/)*$",
            "examples": ["/invoices/*", "/reports/**", "/#/settings/*"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str) -> PathGlob {
        PathGlob::parse(pattern).unwrap()
    }

    #[test]
    fn a_star_is_one_segment_and_two_stars_any_depth() {
        let invoices = glob("/invoices/*");
        assert!(invoices.matches("/invoices/42"));
        assert!(invoices.matches("/invoices/"));
        assert!(!invoices.matches("/invoices/42/edit"));
        assert!(!invoices.matches("/invoices"));
        let reports = glob("/reports/**");
        assert!(reports.matches("/reports/2026/q3/aging"));
        assert!(!reports.matches("/report/x"));
        let edit = glob("/invoices/*/edit");
        assert!(edit.matches("/invoices/INV-7/edit"));
        assert!(!edit.matches("/invoices/a/b/edit"));
        assert!(glob("/**/settings").matches("/a/b/settings"));
        assert!(glob("/inv?ices").matches("/invoices"));
        assert!(glob("/請求書/*").matches("/請求書/一"));
        assert!(glob("/").matches("/") && !glob("/").matches("/a"));
        let hash_route = glob("/#/reports/*");
        assert!(hash_route.matches("/#/reports/aging"));
        assert!(!hash_route.matches("/reports/aging"));
    }

    #[test]
    fn a_glob_without_wildcards_is_a_single_path() {
        assert_eq!(glob("/automations.html").single_path(), Some("/automations.html"));
        assert_eq!(glob("/#/reports").single_path(), Some("/#/reports"));
        assert_eq!(glob("/invoices/*").single_path(), None);
        assert_eq!(glob("/inv?ices").single_path(), None);
    }

    #[test]
    fn bad_globs_are_refused() {
        assert_eq!(PathGlob::parse("invoices/*"), Err(GlobError::NotAPath));
        assert_eq!(PathGlob::parse("/a b"), Err(GlobError::BadCharacter));
        assert_eq!(PathGlob::parse("/a/***"), Err(GlobError::BadCharacter));
        assert_eq!(PathGlob::parse("/a#b"), Err(GlobError::BadCharacter));
        assert_eq!(PathGlob::parse("/a#"), Err(GlobError::BadCharacter));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = glob("/*a*a*a*a*a*a*a*b");
        let path = format!("/{}", "a".repeat(60));
        assert!(!pattern.matches(&path));
    }
}
