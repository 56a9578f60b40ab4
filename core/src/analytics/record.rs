//! What the collector keeps per user and per account, built from stored events and their tags:
//! the user's record is the device's own `UserState` (feature usage and rule exposures, updated
//! by the same functions the device calls), plus what the device keeps outside its state (the
//! traits, the account, when the user was first and last seen). Two records of one user (an
//! anonymous visitor who then signed in) merge as two tabs' parts do: they add up.

use serde_json::{Map, Value};

use crate::event::{Event, EventType};
use crate::exposure::Outcome;
use crate::merge::{Combine, earlier};
use crate::program::{EventTags, ExperienceStep, Program};
use crate::state::UserState;
use crate::time::Timestamp;
use crate::usage::FeatureUsage;

/// One user, as the collector knows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserRecord {
    /// Feature usage and rule exposures, as the device keeps them.
    pub state: UserState,
    /// The traits of the user's `identify` calls, the later one winning per trait.
    pub traits: Map<String, Value>,
    /// The account of the user's latest `group` call.
    pub account: Option<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

impl UserRecord {
    /// Takes in one stored event and its tags (under `program`'s config).
    pub fn apply(&mut self, program: &Program, event: &Event, tags: &EventTags) {
        let at = event.timestamp;
        self.first_seen = earlier(self.first_seen, Some(at));
        self.last_seen = self.last_seen.max(Some(at));
        match event.event_type {
            EventType::Identify => {
                for (name, value) in &event.traits {
                    self.traits.insert(name.clone(), value.clone());
                }
            }
            EventType::Group => self.account = event.group_id.clone().or(self.account.take()),
            EventType::Track | EventType::Page => {}
        }
        self.apply_tags(program, tags, at);
    }

    /// Records what an event at `at` means: the same calls the device makes when it records
    /// the event, shows an experience or hears how the user left it.
    pub fn apply_tags(&mut self, program: &Program, tags: &EventTags, at: Timestamp) {
        let config = program.config();
        let offset = config.settings.day_offset();
        for feature in &tags.features {
            let row = self.state.features.row_or_insert_with(feature, FeatureUsage::default);
            if let Some(usage) = self.state.features.at_mut(row) {
                usage.record_use(at, offset);
            }
        }
        for feature in &tags.entries {
            let row = self.state.features.row_or_insert_with(feature, FeatureUsage::default);
            if let Some(usage) = self.state.features.at_mut(row) {
                usage.record_entry_seen(at);
            }
        }
        if let Some(experience) = &tags.experience
            && let Some(rule) = config.rules.iter().find(|rule| rule.id == experience.rule)
        {
            let row = self.state.rules.row_or_insert_with(&rule.id, Default::default);
            if let Some(exposure) = self.state.rules.at_mut(row) {
                let outcome = match experience.step {
                    ExperienceStep::Shown | ExperienceStep::HeldOut => {
                        exposure.record_exposure(at, experience.step == ExperienceStep::Shown);
                        exposure.variant = experience.variant.or(exposure.variant);
                        None
                    }
                    ExperienceStep::Dismissed => Some(Outcome::Dismissed),
                    ExperienceStep::Snoozed => Some(Outcome::Snoozed),
                    ExperienceStep::Clicked => Some(Outcome::Clicked { button: 0 }),
                };
                if let Some(outcome) = outcome {
                    exposure.record_outcome(outcome, &rule.frequency, at);
                }
            }
        }
        for goal in &tags.goals {
            let Some(rule) = config.rules.iter().find(|rule| &rule.id == goal) else { continue };
            let Some(window) = rule.goal.as_ref().map(|goal| goal.within().duration()) else { continue };
            if let Some(exposure) = self.state.rules.get_mut(goal)
                && exposure.goal_counts(at, window)
            {
                exposure.goal_reached_at = Some(at);
            }
        }
    }

    /// Adds another record of the same person (their anonymous visits, before they signed in):
    /// uses and shows add up, traits this record lacks are taken, the account is this record's
    /// if it has one.
    pub fn merge(&mut self, other: &UserRecord) {
        self.state.merge(&other.state, Combine::Sum);
        for (name, value) in &other.traits {
            self.traits.entry(name.clone()).or_insert_with(|| value.clone());
        }
        if self.account.is_none() {
            self.account = other.account.clone();
        }
        self.first_seen = earlier(self.first_seen, other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}

/// One account, as the collector knows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountRecord {
    /// The traits of the `group` calls naming it, the later one winning per trait.
    pub traits: Map<String, Value>,
    pub first_seen: Option<Timestamp>,
}

impl AccountRecord {
    /// Takes in a `group` event naming this account.
    pub fn apply(&mut self, event: &Event) {
        for (name, value) in &event.traits {
            self.traits.insert(name.clone(), value.clone());
        }
        self.first_seen = earlier(self.first_seen, Some(event.timestamp));
    }
}
