//! The stored form of a user's state and its JSON, written and read by hand (see
//! `json_fields`): the keys are short because it is written on every change, empty fields are
//! left out, and fields this version does not know are ignored.

use serde_json::Value;

use super::{RestoreError, STATE_VERSION};
use crate::json_fields::{Fields, ObjectBuilder, json_text};

/// Stored form, versions 1 to 3 (each adds fields; older ones read with their defaults). Short
/// keys: this is written on every change. Empty fields are left out. Entries are in key order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredUserState {
    pub v: u32,
    pub features: Vec<(String, StoredFeatureUsage)>,
    pub events: Vec<(String, StoredEventHistory)>,
    pub sequences: Vec<(String, StoredSequence)>,
    pub rules: Vec<(String, StoredRuleExposure)>,
    /// `[day, shows]`.
    pub shows_on_day: Option<(i32, u32)>,
    pub tour: Option<StoredTour>,
    pub checklist: Option<StoredChecklist>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredTour {
    pub id: String,
    pub step: usize,
    pub rule: Option<String>,
    pub preview: bool,
    pub started: i64,
    pub missing: Option<i64>,
    pub centered: bool,
    pub viewed: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredChecklist {
    pub id: String,
    pub rule: Option<String>,
    pub preview: bool,
    pub open: bool,
    pub dismissed: bool,
    pub reported: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredFeatureUsage {
    pub n: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// The newest day of use.
    pub day: Option<i32>,
    /// The 400-day bitmap as hex, little end first, trailing zero bytes dropped.
    pub bits: String,
    pub older: u32,
    /// When the entry point was first seen.
    pub seen: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredEventHistory {
    pub n: u64,
    pub at: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredSequence {
    pub n: u64,
    /// Runs waiting at each step, as `[start, last]`.
    pub w: Vec<Vec<(i64, i64)>>,
    /// Latest completions, as `[start, last]`.
    pub c: Vec<(i64, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredRuleExposure {
    pub shows: u32,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub dismissed: Option<i64>,
    /// Read from "acted" in format 1.
    pub clicked: Option<i64>,
    pub snoozed: Option<i64>,
    pub goal: Option<i64>,
    /// "t" treatment, "h" holdout.
    pub variant: Option<String>,
}

impl StoredUserState {
    /// Reads a stored state from its JSON text. The version is read first: a newer format is
    /// refused as such, not as unreadable.
    pub fn parse(text: &str) -> Result<StoredUserState, RestoreError> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| RestoreError::Unreadable("it is not JSON".to_owned()))?;
        StoredUserState::from_json(&value)
    }

    pub fn from_json(value: &Value) -> Result<StoredUserState, RestoreError> {
        let fields = Fields::of(value, "").map_err(RestoreError::Unreadable)?;
        let v = fields.u32("v").and_then(|v| fields.required("v", v)).map_err(RestoreError::Unreadable)?;
        if v > STATE_VERSION {
            return Err(RestoreError::NewerVersion { found: v });
        }
        read_state(&fields, v).map_err(RestoreError::Unreadable)
    }

    pub fn to_json(&self) -> Value {
        ObjectBuilder::new()
            .field("v", self.v)
            .field_if(!self.features.is_empty(), "f", entries(&self.features, StoredFeatureUsage::to_json))
            .field_if(!self.events.is_empty(), "e", entries(&self.events, StoredEventHistory::to_json))
            .field_if(!self.sequences.is_empty(), "s", entries(&self.sequences, StoredSequence::to_json))
            .field_if(!self.rules.is_empty(), "r", entries(&self.rules, StoredRuleExposure::to_json))
            .some("d", self.shows_on_day.map(|(day, shows)| Value::Array(vec![day.into(), shows.into()])))
            .some("t", self.tour.as_ref().map(StoredTour::to_json))
            .some("c", self.checklist.as_ref().map(StoredChecklist::to_json))
            .build()
    }

    /// The JSON text written to storage.
    pub fn to_text(&self) -> String {
        json_text(&self.to_json())
    }
}

fn entries<T>(entries: &[(String, T)], to_json: fn(&T) -> Value) -> Value {
    // Inserted one by one: collecting would sort, with one sort for each type of entry.
    let mut object = serde_json::Map::new();
    for (key, entry) in entries {
        object.insert(key.clone(), to_json(entry));
    }
    Value::Object(object)
}

fn read_state(fields: &Fields<'_>, v: u32) -> Result<StoredUserState, String> {
    let day = match fields.array("d")? {
        None => None,
        Some([day, shows]) => Some(
            day.as_i64()
                .and_then(|day| i32::try_from(day).ok())
                .zip(shows.as_u64().and_then(|shows| u32::try_from(shows).ok()))
                .ok_or("d must be [day, shows]")?,
        ),
        Some(_) => return Err("d must be [day, shows]".to_owned()),
    };
    let tour = fields.object("t")?.map(|tour| StoredTour::from_json(&tour)).transpose()?;
    let checklist = fields.object("c")?.map(|checklist| StoredChecklist::from_json(&checklist)).transpose()?;
    Ok(StoredUserState {
        v,
        features: fields.entries("f", StoredFeatureUsage::from_json)?,
        events: fields.entries("e", StoredEventHistory::from_json)?,
        sequences: fields.entries("s", StoredSequence::from_json)?,
        rules: fields.entries("r", StoredRuleExposure::from_json)?,
        shows_on_day: day,
        tour,
        checklist,
    })
}

impl StoredTour {
    fn from_json(fields: &Fields<'_>) -> Result<StoredTour, String> {
        let step = fields.u32("step")?;
        Ok(StoredTour {
            id: fields.required("id", fields.string("id")?)?,
            step: fields.required("step", step)? as usize,
            rule: fields.string("rule")?,
            preview: fields.bool("preview")?.unwrap_or(false),
            started: fields.required("started", fields.i64("started")?)?,
            missing: fields.i64("missing")?,
            centered: fields.bool("centered")?.unwrap_or(false),
            viewed: fields.bool("viewed")?.unwrap_or(false),
        })
    }

    fn to_json(&self) -> Value {
        ObjectBuilder::new()
            .field("id", self.id.as_str())
            .field("step", self.step)
            .some("rule", self.rule.as_deref())
            .field_if(self.preview, "preview", true)
            .field("started", self.started)
            .some("missing", self.missing)
            .field_if(self.centered, "centered", true)
            .field_if(self.viewed, "viewed", true)
            .build()
    }
}

impl StoredChecklist {
    fn from_json(fields: &Fields<'_>) -> Result<StoredChecklist, String> {
        Ok(StoredChecklist {
            id: fields.required("id", fields.string("id")?)?,
            rule: fields.string("rule")?,
            preview: fields.bool("preview")?.unwrap_or(false),
            open: fields.bool("open")?.unwrap_or(false),
            dismissed: fields.bool("dismissed")?.unwrap_or(false),
            reported: fields.u32("reported")?.unwrap_or(0),
        })
    }

    fn to_json(&self) -> Value {
        ObjectBuilder::new()
            .field("id", self.id.as_str())
            .some("rule", self.rule.as_deref())
            .field_if(self.preview, "preview", true)
            .field_if(self.open, "open", true)
            .field_if(self.dismissed, "dismissed", true)
            .field("reported", self.reported)
            .build()
    }
}

impl StoredFeatureUsage {
    fn from_json(value: &Value, path: String) -> Result<StoredFeatureUsage, String> {
        let fields = Fields::of(value, path)?;
        Ok(StoredFeatureUsage {
            n: fields.u64("n")?.unwrap_or(0),
            first: fields.i64("first")?,
            last: fields.i64("last")?,
            day: fields.i32("day")?,
            bits: fields.string("bits")?.unwrap_or_default(),
            older: fields.u32("older")?.unwrap_or(0),
            seen: fields.i64("seen")?,
        })
    }

    fn to_json(&self) -> Value {
        ObjectBuilder::new()
            .field("n", self.n)
            .some("first", self.first)
            .some("last", self.last)
            .some("day", self.day)
            .field_if(!self.bits.is_empty(), "bits", self.bits.as_str())
            .field_if(self.older != 0, "older", self.older)
            .some("seen", self.seen)
            .build()
    }
}

impl StoredEventHistory {
    fn from_json(value: &Value, path: String) -> Result<StoredEventHistory, String> {
        let fields = Fields::of(value, path)?;
        let mut at = Vec::new();
        for time in fields.array("at")?.unwrap_or_default() {
            at.push(time.as_i64().ok_or("at must be a list of times")?);
        }
        Ok(StoredEventHistory { n: fields.required("n", fields.u64("n")?)?, at })
    }

    fn to_json(&self) -> Value {
        let mut at = Vec::with_capacity(self.at.len());
        for &time in &self.at {
            at.push(Value::from(time));
        }
        ObjectBuilder::new().field("n", self.n).field_if(!self.at.is_empty(), "at", Value::Array(at)).build()
    }
}

/// `[start, last]`.
fn pair(value: &Value) -> Option<(i64, i64)> {
    match value.as_array()?.as_slice() {
        [first, second] => Some((first.as_i64()?, second.as_i64()?)),
        _ => None,
    }
}

fn pair_value((first, second): (i64, i64)) -> Value {
    Value::Array(vec![Value::from(first), Value::from(second)])
}

/// `[[start, last], ...]`.
fn pairs(list: &[Value]) -> Option<Vec<(i64, i64)>> {
    let mut pairs = Vec::with_capacity(list.len());
    for value in list {
        pairs.push(pair(value)?);
    }
    Some(pairs)
}

fn pairs_value(pairs: &[(i64, i64)]) -> Value {
    let mut values = Vec::with_capacity(pairs.len());
    for &pair in pairs {
        values.push(pair_value(pair));
    }
    Value::Array(values)
}

impl StoredSequence {
    fn from_json(value: &Value, path: String) -> Result<StoredSequence, String> {
        let fields = Fields::of(value, path)?;
        let mut waiting = Vec::new();
        for step in fields.array("w")?.unwrap_or_default() {
            waiting.push(
                step.as_array().and_then(|runs| pairs(runs)).ok_or("w must be a list of lists of [start, last]")?,
            );
        }
        Ok(StoredSequence {
            n: fields.required("n", fields.u64("n")?)?,
            w: waiting,
            c: pairs(fields.array("c")?.unwrap_or_default()).ok_or("c must be a list of [start, last]")?,
        })
    }

    fn to_json(&self) -> Value {
        let mut waiting = Vec::with_capacity(self.w.len());
        for runs in &self.w {
            waiting.push(pairs_value(runs));
        }
        ObjectBuilder::new()
            .field("n", self.n)
            .field_if(!self.w.is_empty(), "w", Value::Array(waiting))
            .field_if(!self.c.is_empty(), "c", pairs_value(&self.c))
            .build()
    }
}

impl StoredRuleExposure {
    fn from_json(value: &Value, path: String) -> Result<StoredRuleExposure, String> {
        let fields = Fields::of(value, path)?;
        Ok(StoredRuleExposure {
            shows: fields.u32("shows")?.unwrap_or(0),
            first: fields.i64("first")?,
            last: fields.i64("last")?,
            dismissed: fields.i64("dismissed")?,
            clicked: fields.i64("clicked")?.or(fields.i64("acted")?),
            snoozed: fields.i64("snoozed")?,
            goal: fields.i64("goal")?,
            variant: fields.string("variant")?,
        })
    }

    fn to_json(&self) -> Value {
        ObjectBuilder::new()
            .field_if(self.shows != 0, "shows", self.shows)
            .some("first", self.first)
            .some("last", self.last)
            .some("dismissed", self.dismissed)
            .some("clicked", self.clicked)
            .some("snoozed", self.snoozed)
            .some("goal", self.goal)
            .some("variant", self.variant.as_deref())
            .build()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{pair, pair_value};

    #[test]
    fn runs_are_pairs_of_two_whole_numbers() {
        assert_eq!(pair(&json!([1, -2])), Some((1, -2)));
        assert_eq!(pair(&json!([1])), None);
        assert_eq!(pair(&json!([1, 2.5])), None);
        assert_eq!(pair_value((3, 4)), json!([3, 4]));
    }
}
