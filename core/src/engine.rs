//! The engine: one user's session of the SDK, without the browser. It takes the calls a host
//! app makes (`track`, `identify`, `group`, `page`), the config, the stored state, what is on the
//! page and the time, and returns what to do: experiences to show, batches to send, state to
//! save. The browser layer calls it and performs the effects; everything it decides is tested
//! natively.

use serde_json::{Map, Value};

use crate::checklist::ChecklistRun;
use crate::config::{Checklist, Config, ExperienceKind, ModelSettings, Prompt, Rule, Show, Survey, Tour};
use crate::event::{Event, EventType};
use crate::exposure::{Outcome, RuleExposure, Variant};
use crate::ids::IdGenerator;
use crate::json_writer::FloatWriter;
use crate::merge::Combine;
use crate::model::{FeatureFigures, UserMetrics, applies_to};
use crate::outbox::{
    BatchId, Delivery, DropCounts, Outbox, OutboxChanges, OutboxSettings, OutgoingBatch, Role, StoredEvent,
};
use crate::program::{Choice, Facts, Program, Scratch, ShowLimits, Situation, Slots};
use crate::state::UserState;
use crate::time::{DayOffset, Timestamp};
use crate::usage::FeatureUsage;

/// Names of the events the SDK itself tracks.
pub mod sdk_events {
    /// A click on an element marked `data-uptake-feature`; property `feature`.
    pub const FEATURE_USED: &str = "feature_used";
    /// A catalog feature's entry point, given as a selector, was on the page for the first time
    /// for this user (once per feature and user: not again on a later page or in another tab
    /// whose state has it); property `feature`. An entry point given as an event needs none:
    /// the collector sees that event itself.
    pub const FEATURE_ENTRY_SEEN: &str = "feature_entry_seen";
    pub const EXPERIENCE_SHOWN: &str = "experience_shown";
    pub const EXPERIENCE_DISMISSED: &str = "experience_dismissed";
    pub const EXPERIENCE_SNOOZED: &str = "experience_snoozed";
    pub const EXPERIENCE_ACTION: &str = "experience_action";
    /// A rule chose a user of its holdout group: not shown, measured.
    pub const EXPERIENCE_HELD_OUT: &str = "experience_held_out";
    pub const GOAL_REACHED: &str = "goal_reached";
    /// The stored state could not be read and was replaced by a fresh one; property `reason`.
    pub const STATE_DISCARDED: &str = "state_discarded";
    /// Events wait in a lesser storage than IndexedDB; properties `from`, `to` (`localStorage`
    /// or `memory`) and `reason`.
    pub const STORAGE_FALLBACK: &str = "storage_fallback";
    pub const TOUR_STEP_VIEWED: &str = "tour_step_viewed";
    pub const TOUR_COMPLETED: &str = "tour_completed";
    /// Property `reason`: `closed`, `target_missing` or `replaced`.
    pub const TOUR_ABANDONED: &str = "tour_abandoned";
    /// A step's target was still missing after the wait; property `policy`: `skip`,
    /// `centered` or `abort`.
    pub const TOUR_TARGET_MISSING: &str = "tour_target_missing";
    pub const CHECKLIST_ITEM_COMPLETED: &str = "checklist_item_completed";
    pub const CHECKLIST_COMPLETED: &str = "checklist_completed";
    pub const SURVEY_ANSWERED: &str = "survey_answered";
}

mod checklists;
mod explain;
mod surveys;
mod tours;

pub use checklists::ChecklistView;
pub use explain::RuleExplanation;
pub use surveys::{SurveyAnswer, SurveyError};
pub use tours::TourView;

/// Who the events are about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub anonymous_id: String,
    pub user_id: Option<String>,
    pub traits: Map<String, Value>,
    pub group_id: Option<String>,
    pub group_traits: Map<String, Value>,
}

impl Identity {
    /// Whom assignments (holdouts) are for: the user, else the anonymous visitor.
    pub fn subject(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.anonymous_id)
    }
}

/// An experience, as the config describes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Experience {
    Prompt(Prompt),
    Tour(Tour),
    Checklist(Checklist),
    Survey(Survey),
}

/// Which experience an outcome is about: what showed it (a rule, or nothing for an experience
/// started by the host app or a button), and whether it is a preview, whose events count for
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperienceRef {
    pub rule_id: Option<String>,
    pub kind: ExperienceKind,
    pub id: String,
    pub preview: bool,
}

impl ExperienceRef {
    /// The experience a rule shows.
    fn of_rule(rule: &Rule) -> ExperienceRef {
        ExperienceRef {
            rule_id: Some(rule.id.clone()),
            kind: rule.show.kind(),
            id: rule.show.id().to_owned(),
            preview: false,
        }
    }
}

/// An experience the browser layer must show now.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub reference: ExperienceRef,
    pub experience: Experience,
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
    /// Another user than the one before: `previous_state` is what this tab recorded of theirs
    /// (its part), to save; the engine now holds a fresh state until the caller gives it what
    /// the other tabs recorded of the new user (`absorb_others`).
    SwitchedUser { previous_user: String, previous_state: Box<UserState> },
}

/// Events tracked before any config arrived, recorded once one does.
const PENDING_MAX: usize = 500;

#[derive(Clone, Debug)]
struct PendingEvent {
    name: String,
    properties: Map<String, Value>,
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
    /// The kinds of experiences the caller can show; rules showing others are passed over.
    pub renderable: Vec<ExperienceKind>,
    /// How the engine writes floats in the JSON it makes: events, explanations
    /// (`json_writer::serde_float` natively; the browser's number-to-string in the SDK).
    pub write_float: FloatWriter,
}

/// A program bound to the current state, with what the evaluation needs.
#[derive(Debug)]
struct Loaded {
    program: Program,
    slots: Slots,
    /// Per selector of the program: whether it is on the page.
    elements: Vec<bool>,
    /// Per catalog feature: whether it applies to the user.
    applicable: Vec<bool>,
}

#[derive(Debug)]
pub struct Engine {
    loaded: Option<Loaded>,
    /// What the rules decide from: what this tab recorded plus `others`.
    state: UserState,
    /// What the other tabs of this user recorded, and what closed tabs left, summed, as last
    /// absorbed: `state` without it is this tab's own part, which it saves.
    others: UserState,
    /// Rules whose experience another tab has on screen: not shown here meanwhile.
    claimed_elsewhere: Vec<String>,
    /// Whether the page is visible: a hidden page shows nothing new.
    visible: bool,
    identity: Identity,
    context: Map<String, Value>,
    page_path: String,
    renderable: Vec<ExperienceKind>,
    outbox: Outbox,
    ids: IdGenerator,
    shown_this_page_view: u32,
    /// Rules shown (or held out) in this page view, and rules whose prompt or survey is still on
    /// screen from an earlier one (an app's route change does not show it twice).
    shown_rules: Vec<usize>,
    /// Rules whose prompt or survey is on screen: shown, not closed yet.
    on_screen: Vec<usize>,
    /// The kinds that can be shown now: `renderable`, less those with one in progress.
    available: Vec<ExperienceKind>,
    /// Whether a `page` event has named the page view the engine started in.
    page_view_named: bool,
    pending: Vec<PendingEvent>,
    scratch: Scratch,
    state_changed: bool,
    identity_changed: bool,
    write_float: FloatWriter,
}

fn is_valid_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= crate::event::NAME_MAX_BYTES
}

fn applicable_features(program: &Program, identity: &Identity) -> Vec<bool> {
    let config = program.config();
    let mut applicable = Vec::with_capacity(config.features.len());
    for feature in &config.features {
        applicable.push(applies_to(feature, &identity.traits, &identity.group_traits));
    }
    applicable
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
            loaded: None,
            state: UserState::default(),
            others: UserState::default(),
            claimed_elsewhere: Vec::new(),
            visible: true,
            identity,
            context: Map::new(),
            page_path: String::new(),
            renderable: options.renderable,
            outbox: Outbox::new(options.outbox, options.write_key),
            ids,
            shown_this_page_view: 0,
            shown_rules: Vec::new(),
            on_screen: Vec::new(),
            available: Vec::new(),
            page_view_named: false,
            pending: Vec::new(),
            scratch: Scratch::default(),
            state_changed: false,
            identity_changed,
            write_float: options.write_float,
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn state(&self) -> &UserState {
        &self.state
    }

    pub fn config(&self) -> Option<&Config> {
        self.loaded.as_ref().map(|loaded| loaded.program.config())
    }

    /// The selectors whose presence the rules need: report them with `set_elements`.
    pub fn selectors(&self) -> &[String] {
        self.loaded.as_ref().map_or(&[], |loaded| loaded.program.selectors())
    }

    /// This device's record of a feature.
    pub fn feature_usage(&self, feature: &str) -> Option<&FeatureUsage> {
        self.state.features.get(feature).filter(|usage| !usage.is_empty())
    }

    /// A feature as the host app asks about it (`featureUsage`): this device's record of it,
    /// with its frequency class and barrier as of `now`, by the config's day offset and model
    /// settings (the defaults before a config has loaded). A catalog feature the user has not
    /// met yet is unaware; `None` for a feature neither in the catalog nor recorded.
    pub fn feature_figures(&self, feature: &str, now: Timestamp) -> Option<FeatureFigures> {
        let config = self.config();
        let in_catalog = config.is_some_and(|config| config.features.iter().any(|known| known.id == feature));
        let recorded = self.feature_usage(feature);
        if recorded.is_none() && !in_catalog {
            return None;
        }
        let defaults = ModelSettings::default();
        let (model, offset) = match config {
            Some(config) => (&config.settings.model, config.settings.day_offset()),
            None => (&defaults, DayOffset::default()),
        };
        let usage = recorded.cloned().unwrap_or_default();
        Some(FeatureFigures::as_of(usage, now.day(offset), model, offset))
    }

    /// Where the user stands in the adoption model now (needs a config).
    pub fn metrics(&self, now: Timestamp) -> Option<UserMetrics> {
        let loaded = self.loaded.as_ref()?;
        let facts = self.facts(loaded, now);
        Some(loaded.program.metrics(&self.state, &loaded.slots, &facts))
    }

    fn facts<'a>(&'a self, loaded: &'a Loaded, now: Timestamp) -> Facts<'a> {
        Facts {
            now,
            page_path: &self.page_path,
            elements: &loaded.elements,
            traits: &self.identity.traits,
            account_traits: &self.identity.group_traits,
            applicable: &loaded.applicable,
            subject: self.identity.subject(),
        }
    }

    /// What a decision or an explanation depends on now, besides the rules woken.
    fn situation<'a>(&'a self, loaded: &'a Loaded, facts: &'a Facts<'a>) -> Situation<'a> {
        Situation {
            state: &self.state,
            slots: &loaded.slots,
            facts,
            limits: ShowLimits {
                shown_this_page_view: self.shown_this_page_view,
                shown_rules: &self.shown_rules,
                claimed_elsewhere: &self.claimed_elsewhere,
            },
            renderable: &self.available,
        }
    }

    /// Takes in what the other tabs of this user recorded (their parts, and the part closed
    /// tabs left, summed; at the start, all that is stored), in place of what it knew of them:
    /// the rules then decide from that plus what this tab recorded itself.
    pub fn absorb_others(&mut self, others: UserState, now: Timestamp) {
        let own = self.state.without(&self.others);
        self.state = others.clone();
        self.state.merge(&own, Combine::Sum);
        self.others = others;
        self.bind_state(now);
    }

    /// Adds `part` to what this tab recorded itself: its own part of a user it switched back
    /// to, saved when it switched away.
    pub fn adopt(&mut self, part: &UserState, now: Timestamp) {
        self.state.merge(part, Combine::Sum);
        self.bind_state(now);
    }

    fn bind_state(&mut self, now: Timestamp) {
        if let Some(loaded) = &mut self.loaded {
            loaded.slots = loaded.program.bind(&mut self.state, now);
        }
    }

    /// Starts a new part for this tab (a page restored from the back-forward cache, whose old
    /// part was saved as it left and is now another tab's): this tab has recorded nothing yet,
    /// and knows nothing of the others until it absorbs them again (`absorb_others`).
    pub fn start_new_part(&mut self) {
        self.state = UserState::default();
        self.others = UserState::default();
    }

    /// Batch bodies for events of this tab not yet in storage as its page goes away; see
    /// `Outbox::bodies_for`.
    pub fn bodies_for(&self, events: &[StoredEvent], now: Timestamp, budget: usize) -> Vec<String> {
        self.outbox.bodies_for(events, now, budget)
    }

    /// What this tab recorded itself: the part it saves, for the other tabs to add up.
    pub fn own_part(&self) -> UserState {
        self.state.without(&self.others)
    }

    /// The rules whose prompt or survey another tab of this user has on screen (by id): none
    /// is shown here while it is there.
    pub fn set_claimed_elsewhere(&mut self, rule_ids: Vec<String>) {
        self.claimed_elsewhere = rule_ids;
    }

    /// Whether the page is visible. A hidden page decides nothing: what would show waits until
    /// the user comes back to it (call `evaluate` then).
    pub fn set_visible(&mut self, visible: bool) {
        self.visible = visible;
    }

    /// Sets the context added to every event from now on (page, locale, user agent, library).
    pub fn set_context(&mut self, context: Map<String, Value>) {
        self.context = context;
    }

    /// Takes a new config: records the events tracked while there was none, and decides whether
    /// an experience is due.
    pub fn load_config(&mut self, config: Config, now: Timestamp) -> Option<Decision> {
        let program = Program::compile(config);
        let slots = program.bind(&mut self.state, now);
        let elements = vec![false; program.selectors().len()];
        let applicable = applicable_features(&program, &self.identity);
        if let Some(previous) = &self.loaded {
            // A newer config (the fetched one after the cached one): the same rules, by id.
            let (before, after) = (&previous.program.config().rules, &program.config().rules);
            let remap = |indexes: &mut Vec<usize>| {
                let mut remapped = Vec::with_capacity(indexes.len());
                for rule in indexes.iter().filter_map(|index| before.get(*index)) {
                    if let Some(index) = after.iter().position(|after| after.id == rule.id) {
                        remapped.push(index);
                    }
                }
                *indexes = remapped;
            };
            remap(&mut self.shown_rules);
            remap(&mut self.on_screen);
        }
        self.loaded = Some(Loaded { program, slots, elements, applicable });
        for pending in std::mem::take(&mut self.pending) {
            self.record(&pending.name, &pending.properties, pending.at);
        }
        self.evaluate(now)
    }

    /// Evaluates every rule: after a change of identity or traits, or when asked.
    pub fn evaluate(&mut self, now: Timestamp) -> Option<Decision> {
        let loaded = self.loaded.as_ref()?;
        loaded.program.wake_all(&mut self.scratch);
        self.decide(now)
    }

    /// `track(name, properties)`: queues the event, records what it means and decides whether an
    /// experience is due.
    pub fn track(
        &mut self,
        name: &str,
        properties: Map<String, Value>,
        now: Timestamp,
    ) -> Result<Option<Decision>, CallError> {
        if !is_valid_name(name) {
            return Err(CallError::EventName);
        }
        // The rules this event wakes, and those the SDK's own events it leads to wake.
        if let Some(loaded) = &self.loaded {
            loaded.program.clear_woken(&mut self.scratch);
        }
        let recorded = self.track_event(name, properties, now);
        if !recorded {
            return Ok(None);
        }
        self.advance_tour_on_event(name, now);
        self.progress_checklist(now);
        Ok(self.decide(now))
    }

    /// Queues a track event and records it; false when there is no config yet to record it with.
    fn track_event(&mut self, name: &str, properties: Map<String, Value>, now: Timestamp) -> bool {
        let recorded = if self.loaded.is_some() {
            self.record(name, &properties, now);
            true
        } else {
            if self.pending.len() < PENDING_MAX {
                self.pending.push(PendingEvent { name: name.to_owned(), properties: properties.clone(), at: now });
            }
            false
        };
        let mut event = self.new_event(EventType::Track, now);
        event.event = Some(name.to_owned());
        event.properties = properties;
        self.queue_for_collector(event, now);
        recorded
    }

    /// Records an event in the state and checks the goals it reaches.
    fn record(&mut self, name: &str, properties: &Map<String, Value>, at: Timestamp) {
        let Some(loaded) = &self.loaded else { return };
        let marked = match properties.get("feature") {
            Some(Value::String(feature)) if name == sdk_events::FEATURE_USED && is_valid_name(feature) => {
                Some(feature.as_str())
            }
            _ => None,
        };
        loaded.program.record_event(&mut self.state, &loaded.slots, name, properties, marked, at, &mut self.scratch);
        loaded.program.also_wake_for_event(&mut self.scratch);
        if !self.scratch.matched.is_empty() || marked.is_some() {
            self.state_changed = true;
        }
        let mut reached = Vec::new();
        let config = loaded.program.config();
        for rule in loaded.program.goals_touched(&self.scratch) {
            let window = config.rules.get(rule).and_then(|rule| rule.goal.as_ref()).map(|goal| goal.within());
            let exposure = loaded.slots.rules.get(rule).and_then(|row| self.state.rules.at(*row));
            if window.is_some_and(|window| exposure.is_some_and(|e| e.goal_counts(at, window.duration()))) {
                reached.push(rule);
            }
        }
        for rule in reached {
            self.reach_goal(rule, at);
        }
    }

    fn reach_goal(&mut self, rule: usize, at: Timestamp) {
        let Some(loaded) = &self.loaded else { return };
        let Some(config_rule) = loaded.program.config().rules.get(rule) else { return };
        let Some(exposure) = loaded.slots.rules.get(rule).and_then(|row| self.state.rules.at_mut(*row)) else { return };
        exposure.goal_reached_at = Some(at);
        let first = exposure.first_exposed_at.unwrap_or(at);
        let reference = ExperienceRef::of_rule(config_rule);
        let mut properties = experience_properties(&reference, exposure.variant);
        let seconds = (at.as_millis() - first.as_millis()) / 1000;
        properties.insert("seconds_since_exposure".to_owned(), Value::from(seconds));
        self.state_changed = true;
        self.track_event(sdk_events::GOAL_REACHED, properties, at);
    }

    /// Refreshes `available`: one tour and one checklist at a time.
    fn refresh_available(&mut self) {
        let tour_running = self.state.tour.is_some();
        let checklist_active = self.state.checklist.as_ref().is_some_and(|run| !run.dismissed);
        self.available.clear();
        for &kind in &self.renderable {
            let available = match kind {
                ExperienceKind::Tour => !tour_running,
                ExperienceKind::Checklist => !checklist_active,
                ExperienceKind::Prompt | ExperienceKind::Survey => true,
            };
            if available {
                self.available.push(kind);
            }
        }
    }

    /// The experience to show among the rules woken last, if any. A rule whose user is in its
    /// holdout is recorded and passed over, so that the next one can be shown.
    fn decide(&mut self, now: Timestamp) -> Option<Decision> {
        if !self.visible {
            return None;
        }
        loop {
            self.refresh_available();
            let loaded = self.loaded.as_ref()?;
            let facts = self.facts(loaded, now);
            let choice = loaded.program.decide(&self.situation(loaded, &facts), &self.scratch)?;
            if let Some(decision) = self.apply(choice, now) {
                return Some(decision);
            }
        }
    }

    /// Another experience due from the same evaluation as the last decision: a call that woke
    /// several rules (a config loaded, a page view) may show a checklist, a hotspot and a
    /// banner together. Call until it returns None; the throttles bound how many.
    pub fn next_decision(&mut self, now: Timestamp) -> Option<Decision> {
        self.decide(now)
    }

    /// Records the choice: a show, or the holdout's moment (measured, not shown). Either counts
    /// toward the throttles, so both groups see as much of everything else.
    fn apply(&mut self, choice: Choice, now: Timestamp) -> Option<Decision> {
        // First, so that `decide` moves past this rule whatever happens below.
        self.shown_rules.push(choice.rule);
        let loaded = self.loaded.as_ref()?;
        let config = loaded.program.config();
        let rule = config.rules.get(choice.rule)?;
        let experience = match &rule.show {
            Show::Prompt(id) => Experience::Prompt(config.prompt(id)?.clone()),
            Show::Tour(id) => Experience::Tour(config.tour(id)?.clone()),
            Show::Checklist(id) => Experience::Checklist(config.checklist(id)?.clone()),
            Show::Survey(id) => Experience::Survey(config.survey(id)?.clone()),
        };
        let reference = ExperienceRef::of_rule(rule);
        let has_holdout = rule.holdout > 0.0;
        let today = now.day(config.settings.day_offset());
        let row = *loaded.slots.rules.get(choice.rule)?;
        let exposure = self.state.rules.at_mut(row)?;
        let shown = choice.variant == Variant::Treatment;
        exposure.record_exposure(now, shown);
        let variant = has_holdout.then_some(choice.variant);
        exposure.variant = variant;
        if !loaded.program.is_ambient(choice.rule) {
            self.state.record_show_on(today);
            self.shown_this_page_view += 1;
        }
        self.state_changed = true;
        let properties = experience_properties(&reference, variant);
        let name = if shown { sdk_events::EXPERIENCE_SHOWN } else { sdk_events::EXPERIENCE_HELD_OUT };
        self.track_event(name, properties, now);
        if !shown {
            return None;
        }
        if matches!(reference.kind, ExperienceKind::Prompt | ExperienceKind::Survey) {
            self.on_screen.push(choice.rule);
        }
        self.begin(&reference, now);
        Some(Decision { reference, experience })
    }

    /// Starts what lives on in the state: a tour's run, a checklist's.
    fn begin(&mut self, reference: &ExperienceRef, now: Timestamp) {
        match reference.kind {
            ExperienceKind::Tour => {
                self.begin_tour(&reference.id, reference.rule_id.clone(), reference.preview, now);
            }
            ExperienceKind::Checklist => {
                let run = ChecklistRun::new(&reference.id, reference.rule_id.clone(), reference.preview);
                self.state.checklist = Some(run);
                self.state.checklist_changed = Some(now);
                self.state_changed = true;
            }
            ExperienceKind::Prompt | ExperienceKind::Survey => {}
        }
    }

    /// Shows an experience whatever the rules say (`?uptake_preview=<id>`): nothing it does is
    /// recorded as exposure, and its events say `preview: true`.
    pub fn preview(&mut self, id: &str, now: Timestamp) -> Option<Decision> {
        let config = self.config()?;
        let (kind, experience) = if let Some(prompt) = config.prompt(id) {
            (ExperienceKind::Prompt, Experience::Prompt(prompt.clone()))
        } else if let Some(tour) = config.tour(id) {
            (ExperienceKind::Tour, Experience::Tour(tour.clone()))
        } else if let Some(checklist) = config.checklist(id) {
            (ExperienceKind::Checklist, Experience::Checklist(checklist.clone()))
        } else {
            (ExperienceKind::Survey, Experience::Survey(config.survey(id)?.clone()))
        };
        let reference = ExperienceRef { rule_id: None, kind, id: id.to_owned(), preview: true };
        self.track_event(sdk_events::EXPERIENCE_SHOWN, experience_properties(&reference, None), now);
        self.begin(&reference, now);
        Some(Decision { reference, experience })
    }

    /// Records how the user left an experience in its rule's exposure (not for previews or
    /// experiences no rule showed), and returns the rule's holdout variant.
    fn record_outcome(&mut self, reference: &ExperienceRef, outcome: Outcome, now: Timestamp) -> Option<Variant> {
        if reference.preview {
            return None;
        }
        let rule_id = reference.rule_id.as_deref()?;
        let loaded = self.loaded.as_ref()?;
        let config = loaded.program.config();
        let index = config.rules.iter().position(|rule| rule.id == rule_id)?;
        self.on_screen.retain(|rule| *rule != index);
        let rule = config.rules.get(index)?;
        let exposure = loaded.slots.rules.get(index).and_then(|row| self.state.rules.at_mut(*row))?;
        exposure.record_outcome(outcome, &rule.frequency, now);
        self.state_changed = true;
        exposure.variant
    }

    /// The user closed an experience, or pressed one of its buttons.
    pub fn experience_closed(&mut self, reference: &ExperienceRef, outcome: Outcome, now: Timestamp) {
        let variant = self.record_outcome(reference, outcome, now);
        let mut properties = experience_properties(reference, variant);
        let name = match outcome {
            Outcome::Dismissed => sdk_events::EXPERIENCE_DISMISSED,
            Outcome::Snoozed => sdk_events::EXPERIENCE_SNOOZED,
            Outcome::Clicked { button } => {
                properties.insert("button".to_owned(), Value::from(button));
                sdk_events::EXPERIENCE_ACTION
            }
        };
        self.track_event(name, properties, now);
    }

    /// Records that the stored state could not be used, so the loss is visible.
    pub fn report_state_discarded(&mut self, reason: &str, now: Timestamp) {
        let mut properties = Map::new();
        properties.insert("reason".to_owned(), Value::from(reason));
        self.track_event(sdk_events::STATE_DISCARDED, properties, now);
    }

    fn refresh_applicable(&mut self) {
        if let Some(loaded) = &mut self.loaded {
            loaded.applicable = applicable_features(&loaded.program, &self.identity);
        }
    }

    /// `identify(userId, traits)`. Call `evaluate` afterwards (after restoring the new user's
    /// state when the user changed).
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
                // Everything known of the visitor is the user's now: this tab's part, which it
                // saves under their name. (Another tab of the visitor that identifies later
                // brings its own part again.)
                self.others = UserState::default();
                self.state_changed = true;
                IdentifyOutcome::Identified
            }
            Some(previous) => {
                let previous_user = previous.to_owned();
                let previous_state = Box::new(self.own_part());
                self.state = UserState::default();
                self.others = UserState::default();
                self.identity.traits.clear();
                self.bind_state(now);
                IdentifyOutcome::SwitchedUser { previous_user, previous_state }
            }
        };
        self.identity.user_id = Some(user_id.to_owned());
        for (key, value) in &traits {
            self.identity.traits.insert(key.clone(), value.clone());
        }
        self.identity_changed = true;
        self.refresh_applicable();
        let mut event = self.new_event(EventType::Identify, now);
        event.traits = traits;
        self.queue_for_collector(event, now);
        Ok(outcome)
    }

    /// `group(accountId, traits)`. Call `evaluate` afterwards.
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
        self.refresh_applicable();
        let mut event = self.new_event(EventType::Group, now);
        event.group_id = Some(group_id.to_owned());
        event.traits = traits;
        self.queue_for_collector(event, now);
        Ok(())
    }

    /// `page()`. The engine starts in a page view (the document the SDK loaded in), which the
    /// first `page` event names; each later one starts a new page view, and with it the
    /// per-page-view throttle. The path comes from the property `path`.
    pub fn page(&mut self, name: Option<String>, properties: Map<String, Value>, now: Timestamp) -> Option<Decision> {
        if std::mem::replace(&mut self.page_view_named, true) {
            self.shown_this_page_view = 0;
            let on_screen = &self.on_screen;
            self.shown_rules.retain(|rule| on_screen.contains(rule));
        }
        if let Some(Value::String(path)) = properties.get("path") {
            self.page_path.clone_from(path);
        }
        let mut event = self.new_event(EventType::Page, now);
        event.name = name.filter(|name| is_valid_name(name));
        event.properties = properties;
        self.queue_for_collector(event, now);
        self.advance_tour_on_page(now);
        self.evaluate(now)
    }

    /// Which of `selectors()` are on the page now (in the same order). A catalog feature's entry
    /// point seen for the first time is recorded, and sent (`feature_entry_seen`).
    pub fn set_elements(&mut self, present: &[bool], now: Timestamp) -> Option<Decision> {
        let loaded = self.loaded.as_mut()?;
        if loaded.elements.as_slice() == present || present.len() != loaded.elements.len() {
            return None;
        }
        loaded.elements.copy_from_slice(present);
        loaded.program.record_elements(&mut self.state, &loaded.slots, present, now, &mut self.scratch);
        let features = &loaded.program.config().features;
        let first_seen: Vec<String> = self
            .scratch
            .entries_seen
            .iter()
            .filter_map(|index| features.get(*index))
            .map(|feature| feature.id.clone())
            .collect();
        loaded.program.wake_for_elements(&mut self.scratch);
        if !first_seen.is_empty() {
            self.state_changed = true;
        }
        // Tracked after the wake-up, which starts afresh: the rules these events wake are added.
        for feature in first_seen {
            let mut properties = Map::new();
            properties.insert("feature".to_owned(), Value::from(feature));
            self.track_event(sdk_events::FEATURE_ENTRY_SEEN, properties, now);
        }
        self.decide(now)
    }

    /// Queues an event for the collector, as the JSON it is sent as, with the engine's context
    /// lent to it for the serialization rather than copied into it.
    fn queue_for_collector(&mut self, mut event: Event, now: Timestamp) {
        event.context = std::mem::take(&mut self.context);
        let body = event.to_json_text(self.write_float);
        self.context = event.context;
        self.outbox.push(&event.message_id, body, now);
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
            // Lent by `queue_for_collector`.
            context: Map::new(),
            timestamp: now,
            sent_at: None,
        }
    }

    /// Whether the state or the identity changed since they were last taken to be saved.
    pub fn has_unsaved_changes(&self) -> bool {
        self.state_changed || self.identity_changed
    }

    /// This tab's part of the user's state (`own_part`), when it changed since the last call,
    /// to save.
    pub fn take_changed_part(&mut self) -> Option<UserState> {
        std::mem::take(&mut self.state_changed).then(|| self.own_part())
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

    /// Batches for a page going away, within `budget` bytes in all; see `Outbox::drain_for_exit`.
    pub fn drain_for_exit(&mut self, now: Timestamp, budget: usize) -> Vec<OutgoingBatch> {
        self.outbox.drain_for_exit(now, budget)
    }

    pub fn handle_delivery(&mut self, id: BatchId, delivery: Delivery, now: Timestamp) {
        let random = self.ids.next_u64();
        self.outbox.handle_delivery(id, delivery, now, random);
    }

    /// Whether this tab sends the app's events or writes them ahead for the tab that does; see
    /// `Outbox::set_role`.
    pub fn set_outbox_role(&mut self, role: Role) {
        self.outbox.set_role(role);
    }

    pub fn outbox_role(&self) -> Role {
        self.outbox.role()
    }

    /// Events and unreported drops read back from the device's storage; see `Outbox::restore`.
    pub fn restore_outbox(&mut self, events: Vec<StoredEvent>, unreported: Option<DropCounts>, now: Timestamp) {
        if let Some(counts) = unreported {
            self.outbox.adopt_unreported(counts);
        }
        self.outbox.restore(events, now);
    }

    /// What to write to the device's storage for the outbox since the last call.
    pub fn take_outbox_changes(&mut self) -> OutboxChanges {
        self.outbox.take_changes()
    }

    /// Records that events wait in a lesser storage than the best (`from` failed, `to` is used
    /// now), so the risk to them is visible.
    pub fn report_storage_fallback(&mut self, from: &str, to: &str, reason: &str, now: Timestamp) {
        let mut properties = Map::new();
        properties.insert("from".to_owned(), Value::from(from));
        properties.insert("to".to_owned(), Value::from(to));
        properties.insert("reason".to_owned(), Value::from(reason));
        self.track_event(sdk_events::STORAGE_FALLBACK, properties, now);
    }

    /// A random id (UUIDv4), to tell this tab from others.
    pub fn random_id(&mut self) -> String {
        self.ids.uuid_v4()
    }

    /// See `Outbox::limit_bytes`.
    pub fn limit_outbox_bytes(&mut self, max_bytes: usize) {
        self.outbox.limit_bytes(max_bytes);
    }

    /// Whether the network is up; see `Outbox::set_online`.
    pub fn set_online(&mut self, online: bool) {
        self.outbox.set_online(online);
    }

    pub fn dropped(&self) -> DropCounts {
        self.outbox.dropped()
    }

    /// Events queued or in flight.
    pub fn pending_events(&self) -> usize {
        self.outbox.queued() + self.outbox.in_flight()
    }

    /// One rule's exposure, for tests and debugging.
    pub fn rule_exposure(&self, rule_id: &str) -> Option<&RuleExposure> {
        self.state.rules.get(rule_id)
    }
}

fn experience_properties(reference: &ExperienceRef, variant: Option<Variant>) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert("experience_id".to_owned(), Value::from(reference.id.as_str()));
    properties.insert("experience_type".to_owned(), Value::from(reference.kind.as_str()));
    if let Some(rule_id) = &reference.rule_id {
        properties.insert("rule_id".to_owned(), Value::from(rule_id.as_str()));
    }
    if let Some(variant) = variant {
        properties.insert("variant".to_owned(), Value::from(variant.as_str()));
    }
    if reference.preview {
        properties.insert("preview".to_owned(), Value::Bool(true));
    }
    properties
}

#[cfg(test)]
mod experience_tests;
#[cfg(test)]
mod tab_tests;
#[cfg(test)]
mod tests;
