//! The engine: one user's session of the SDK, without the browser. It takes the calls a host
//! app makes (`track`, `identify`, `group`, `page`), the config, the stored state and the time,
//! and returns what to do: prompts to show, batches to send, state to save. The browser layer
//! calls it and performs the effects; everything it decides is tested natively.

use serde_json::{Map, Value};

use crate::config::{Config, Prompt};
use crate::event::{Batch, Event, EventType};
use crate::exposure::PromptOutcome;
use crate::ids::IdGenerator;
use crate::outbox::Outbox;
use crate::outbox::{BatchId, Delivery, DropCounts, OutboxSettings, OutgoingBatch};
use crate::ruleset::{RuleSet, ShowLimits};
use crate::state::UserState;
use crate::time::Timestamp;

/// Names of the events the SDK itself tracks.
pub mod sdk_events {
    /// A click on an element marked `data-uptake-feature`; property `feature`.
    pub const FEATURE_USED: &str = "feature_used";
    pub const EXPERIENCE_SHOWN: &str = "experience_shown";
    pub const EXPERIENCE_DISMISSED: &str = "experience_dismissed";
    pub const EXPERIENCE_ACTION: &str = "experience_action";
    /// The stored state could not be read and was replaced by a fresh one; property `reason`.
    pub const STATE_DISCARDED: &str = "state_discarded";
}

/// Who the events are about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub anonymous_id: String,
    pub user_id: Option<String>,
    pub traits: Map<String, Value>,
    pub group_id: Option<String>,
    pub group_traits: Map<String, Value>,
}

/// A prompt the browser layer must show now.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptToShow {
    pub rule_id: String,
    pub prompt: Prompt,
}

/// Why a call from the host app was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the event name must be a non-empty string of at most 200 bytes")]
    EventName,
    #[error("the user id must be a non-empty string of at most 200 bytes")]
    UserId,
    #[error("the account id must be a non-empty string of at most 200 bytes")]
    GroupId,
}

/// What an `identify` call changed.
#[derive(Clone, Debug, PartialEq)]
pub enum IdentifyOutcome {
    /// The same user as before (traits may have changed).
    SameUser,
    /// The anonymous visitor is now known as this user; their state carries over.
    Identified,
    /// Another user than the one before: `previous_state` is theirs, to save; the engine now
    /// holds a fresh state until the caller restores the new user's.
    SwitchedUser { previous_user: String, previous_state: UserState },
}

/// Uses tracked before any config arrived, applied once one does.
const PENDING_USES_MAX: usize = 500;

#[derive(Clone, Debug)]
struct PendingUse {
    event: String,
    feature: Option<String>,
    at: Timestamp,
}

/// What to make the engine with.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    pub write_key: Option<String>,
    pub outbox: OutboxSettings,
    /// 32 bytes from a secure random source, for message and anonymous ids.
    pub seed: [u8; 32],
    /// The stored anonymous id, if there is one.
    pub anonymous_id: Option<String>,
    /// The stored user id and traits, if the user was identified before.
    pub user_id: Option<String>,
    pub traits: Map<String, Value>,
}

#[derive(Debug)]
pub struct Engine {
    rules: Option<RuleSet>,
    state: UserState,
    identity: Identity,
    context: Map<String, Value>,
    outbox: Outbox,
    ids: IdGenerator,
    shown_this_page_view: u32,
    /// Whether a `page` event has named the page view the engine started in.
    page_view_named: bool,
    pending_uses: Vec<PendingUse>,
    state_changed: bool,
    identity_changed: bool,
}

fn is_valid_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= crate::event::NAME_MAX_BYTES
}

impl Engine {
    pub fn new(options: EngineOptions) -> Engine {
        let mut ids = IdGenerator::from_seed(options.seed);
        let stored_anonymous = options.anonymous_id.filter(|id| is_valid_name(id));
        let identity_changed = stored_anonymous.is_none();
        let anonymous_id = stored_anonymous.unwrap_or_else(|| ids.uuid_v4());
        let identity = Identity {
            anonymous_id,
            user_id: options.user_id.filter(|id| is_valid_name(id)),
            traits: options.traits,
            ..Identity::default()
        };
        Engine {
            rules: None,
            state: UserState::default(),
            identity,
            context: Map::new(),
            outbox: Outbox::new(options.outbox, options.write_key),
            ids,
            shown_this_page_view: 0,
            page_view_named: false,
            pending_uses: Vec::new(),
            state_changed: false,
            identity_changed,
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn state(&self) -> &UserState {
        &self.state
    }

    pub fn config(&self) -> Option<&Config> {
        self.rules.as_ref().map(RuleSet::config)
    }

    /// Replaces the user's state with one restored from storage.
    pub fn restore_state(&mut self, state: UserState, now: Timestamp) {
        self.state = state;
        self.prune_event_log(now);
    }

    /// Sets the context added to every event from now on (page, locale, user agent, library).
    pub fn set_context(&mut self, context: Map<String, Value>) {
        self.context = context;
    }

    /// Takes a new config: applies the uses tracked while there was none, and decides whether
    /// a prompt is due.
    pub fn load_config(&mut self, config: Config, now: Timestamp) -> Option<PromptToShow> {
        self.rules = Some(RuleSet::new(config));
        for pending in std::mem::take(&mut self.pending_uses) {
            self.record_use(&pending.event, pending.feature.as_deref(), pending.at);
        }
        self.prune_event_log(now);
        self.decide(now)
    }

    fn prune_event_log(&mut self, now: Timestamp) {
        if let Some(rules) = &self.rules {
            self.state.usage.events.prune(|name| rules.retention(name), now);
        }
    }

    /// `track(name, properties)`: queues the event, records feature use and decides whether a
    /// prompt is due.
    pub fn track(
        &mut self,
        name: &str,
        properties: Map<String, Value>,
        now: Timestamp,
    ) -> Result<Option<PromptToShow>, CallError> {
        if !is_valid_name(name) {
            return Err(CallError::EventName);
        }
        self.track_event(name, properties, now);
        Ok(self.decide(now))
    }

    /// A track event of the SDK's own, recorded like the host's but never deciding a prompt.
    fn track_event(&mut self, name: &str, properties: Map<String, Value>, now: Timestamp) {
        let feature = match properties.get("feature") {
            Some(Value::String(feature)) if name == sdk_events::FEATURE_USED && is_valid_name(feature) => {
                Some(feature.clone())
            }
            _ => None,
        };
        if self.rules.is_some() {
            self.record_use(name, feature.as_deref(), now);
        } else if self.pending_uses.len() < PENDING_USES_MAX {
            self.pending_uses.push(PendingUse { event: name.to_owned(), feature, at: now });
        }
        let mut event = self.new_event(EventType::Track, now);
        event.event = Some(name.to_owned());
        event.properties = properties;
        self.outbox.push(event, now);
    }

    fn record_use(&mut self, event: &str, feature: Option<&str>, at: Timestamp) {
        let Some(rules) = &self.rules else { return };
        let offset = rules.config().settings.day_offset;
        if let Some(retention) = rules.retention(event) {
            self.state.usage.events.record(event, at, retention, at);
            self.state_changed = true;
        }
        let catalog = rules.features_for_event(event).iter().map(String::as_str);
        for feature in catalog.chain(feature) {
            // A full feature table keeps what it has; the event itself still goes out.
            if self.state.usage.record_feature_use(feature, at, offset).is_ok() {
                self.state_changed = true;
            }
        }
    }

    fn decide(&mut self, now: Timestamp) -> Option<PromptToShow> {
        let rules = self.rules.as_ref()?;
        let limits = ShowLimits { shown_this_page_view: self.shown_this_page_view };
        let rule = rules.decide(&self.state, limits, now)?;
        let crate::config::Show::Prompt(prompt_id) = &rule.show;
        let prompt = rules.config().prompt(prompt_id)?.clone();
        let rule_id = rule.id.clone();
        let day = now.day(rules.config().settings.day_offset);
        self.state.exposure.record_show(&rule_id, now, day);
        self.shown_this_page_view += 1;
        self.state_changed = true;
        let properties = experience_properties(&rule_id, &prompt.id);
        self.track_event(sdk_events::EXPERIENCE_SHOWN, properties, now);
        Some(PromptToShow { rule_id, prompt })
    }

    /// The user closed the prompt shown for `rule_id`.
    pub fn prompt_closed(&mut self, rule_id: &str, outcome: PromptOutcome, now: Timestamp) {
        let Some(prompt_id) = self.prompt_id_of_rule(rule_id) else { return };
        self.state.exposure.record_outcome(rule_id, outcome, now);
        self.state_changed = true;
        let mut properties = experience_properties(rule_id, &prompt_id);
        let name = match outcome {
            PromptOutcome::Dismissed => sdk_events::EXPERIENCE_DISMISSED,
            PromptOutcome::Acted { button } => {
                properties.insert("button".to_owned(), Value::from(button));
                sdk_events::EXPERIENCE_ACTION
            }
        };
        self.track_event(name, properties, now);
    }

    fn prompt_id_of_rule(&self, rule_id: &str) -> Option<String> {
        let rule = self.config()?.rules.iter().find(|rule| rule.id == rule_id)?;
        let crate::config::Show::Prompt(prompt_id) = &rule.show;
        Some(prompt_id.clone())
    }

    /// Records that the stored state could not be used, so the loss is visible.
    pub fn report_state_discarded(&mut self, reason: &str, now: Timestamp) {
        let mut properties = Map::new();
        properties.insert("reason".to_owned(), Value::from(reason));
        self.track_event(sdk_events::STATE_DISCARDED, properties, now);
    }

    /// `identify(userId, traits)`.
    pub fn identify(
        &mut self,
        user_id: &str,
        traits: Map<String, Value>,
        now: Timestamp,
    ) -> Result<IdentifyOutcome, CallError> {
        if !is_valid_name(user_id) {
            return Err(CallError::UserId);
        }
        let outcome = match self.identity.user_id.as_deref() {
            Some(current) if current == user_id => IdentifyOutcome::SameUser,
            None => {
                // The state now belongs to the user: save it under their name.
                self.state_changed = true;
                IdentifyOutcome::Identified
            }
            Some(previous) => {
                let previous_user = previous.to_owned();
                let previous_state = std::mem::take(&mut self.state);
                self.identity.traits.clear();
                IdentifyOutcome::SwitchedUser { previous_user, previous_state }
            }
        };
        self.identity.user_id = Some(user_id.to_owned());
        for (key, value) in &traits {
            self.identity.traits.insert(key.clone(), value.clone());
        }
        self.identity_changed = true;
        let mut event = self.new_event(EventType::Identify, now);
        event.traits = traits;
        self.outbox.push(event, now);
        Ok(outcome)
    }

    /// `group(accountId, traits)`.
    pub fn group(&mut self, group_id: &str, traits: Map<String, Value>, now: Timestamp) -> Result<(), CallError> {
        if !is_valid_name(group_id) {
            return Err(CallError::GroupId);
        }
        if self.identity.group_id.as_deref() != Some(group_id) {
            self.identity.group_traits.clear();
        }
        self.identity.group_id = Some(group_id.to_owned());
        for (key, value) in &traits {
            self.identity.group_traits.insert(key.clone(), value.clone());
        }
        self.identity_changed = true;
        let mut event = self.new_event(EventType::Group, now);
        event.group_id = Some(group_id.to_owned());
        event.traits = traits;
        self.outbox.push(event, now);
        Ok(())
    }

    /// `page()`. The engine starts in a page view (the document the SDK loaded in), which the
    /// first `page` event names; each later one starts a new page view, and with it the
    /// per-page-view throttle.
    pub fn page(
        &mut self,
        name: Option<String>,
        properties: Map<String, Value>,
        now: Timestamp,
    ) -> Option<PromptToShow> {
        if std::mem::replace(&mut self.page_view_named, true) {
            self.shown_this_page_view = 0;
        }
        let mut event = self.new_event(EventType::Page, now);
        event.name = name.filter(|name| is_valid_name(name));
        event.properties = properties;
        self.outbox.push(event, now);
        self.decide(now)
    }

    fn new_event(&mut self, event_type: EventType, now: Timestamp) -> Event {
        Event {
            message_id: self.ids.message_id(now),
            event_type,
            event: None,
            name: None,
            user_id: self.identity.user_id.clone(),
            anonymous_id: Some(self.identity.anonymous_id.clone()),
            group_id: None,
            properties: Map::new(),
            traits: Map::new(),
            context: self.context.clone(),
            timestamp: now,
            sent_at: None,
        }
    }

    /// Whether the state or the identity changed since they were last taken to be saved.
    pub fn has_unsaved_changes(&self) -> bool {
        self.state_changed || self.identity_changed
    }

    /// The user's state, when it changed since the last call, to save.
    pub fn take_changed_state(&mut self) -> Option<&UserState> {
        std::mem::take(&mut self.state_changed).then_some(&self.state)
    }

    /// The identity, when it changed since the last call, to save.
    pub fn take_changed_identity(&mut self) -> Option<&Identity> {
        std::mem::take(&mut self.identity_changed).then_some(&self.identity)
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.outbox.poll_timeout()
    }

    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.outbox.poll_transmit(now)
    }

    pub fn transmit_now(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.outbox.transmit_now(now)
    }

    pub fn drain(&mut self, now: Timestamp) -> Vec<Batch> {
        self.outbox.drain(now)
    }

    pub fn handle_delivery(&mut self, id: BatchId, delivery: Delivery, now: Timestamp) {
        self.outbox.handle_delivery(id, delivery, now);
    }

    pub fn dropped(&self) -> DropCounts {
        self.outbox.dropped()
    }

    /// Events queued or in flight.
    pub fn pending_events(&self) -> usize {
        self.outbox.queued() + self.outbox.in_flight()
    }
}

fn experience_properties(rule_id: &str, prompt_id: &str) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert("experience_id".to_owned(), Value::from(prompt_id));
    properties.insert("experience_type".to_owned(), Value::from("prompt"));
    properties.insert("rule_id".to_owned(), Value::from(rule_id));
    properties
}

#[cfg(test)]
mod tests;
