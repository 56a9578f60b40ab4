//! One user's browser over the history: the device engine (`uptake_core::engine::Engine`) with
//! the config, driven as the demo app and its SDK drive it, day by day: sign-in (`identify`
//! with the role and sign-up day, `group` with the account's traits), page views, the elements
//! shown on each page (`set_elements`, so entry points are seen and sent as the SDK sends them),
//! the app's own events, and the user's answer to every experience the engine decides to show
//! (a prompt's button, a dismissal, a snooze, a survey's score, a tour's steps). Every event is
//! the engine's, holdout assignment and goals included; at the end of each day of use the
//! outbox is drained as the collector would accept it, and each event written as the collector
//! stores it (one JSON line, as `GET /v1/export` writes it).
//!
//! What a user does is drawn from their persona. An experience acted on (a prompt's button that
//! does something, a tour completed, a tip read) makes the user mean to use the rule's goal
//! feature, soon, with some chance; approvers who do not automate yet also wander to the
//! automations page on their own now and then. The holdout group never sees the campaign's
//! prompt: it gets there on its own, or through the experiences both groups see, and the
//! difference is the campaign's effect.

use serde_json::{Map, Value};
use uptake_core::config::{ButtonAction, Config, Display, ExperienceKind, Goal, Prompt, Survey, SurveyKind};
use uptake_core::engine::{
    CallError, Decision, Engine, EngineOptions, Experience, ExperienceRef, SurveyAnswer, sdk_events,
};
use uptake_core::exposure::Outcome;
use uptake_core::json_writer::serde_float;
use uptake_core::outbox::{Delivery, OutboxSettings};
use uptake_core::time::{Duration, Timestamp};

use super::app::{self, AUTOMATION_FORM, AUTOMATIONS, Browser, INVOICES, Invoice, Page, REPORTS};
use super::format_day;
use super::population::{Account, Habits, Persona, User};
use super::random::{Random, Stream};

/// The demo app's features the simulated users know how to use on purpose.
const AUTOMATION_FEATURE: &str = "workflow.automation";
const EXPORT_FEATURE: &str = "reports.export";

/// The chance that acting on a prompt leads to using its rule's goal feature.
const FOLLOW_THROUGH: f64 = 0.55;
/// The chance that a tour gone through to its end leads to using its rule's goal feature.
const FOLLOW_THROUGH_AFTER_TOUR: f64 = 0.3;
/// A hotspot, a banner or a tooltip is passed by more easily than a modal: the user's chance
/// of acting on one is this share of their chance of acting on a modal.
const UNOBTRUSIVE_FACTOR: f64 = 0.4;
/// The chance that an approver who looks at the automations page creates one there.
const CREATES_WHEN_LOOKING: f64 = 0.35;
/// The chance, per session, that a user who automates creates another automation.
const ANOTHER_AUTOMATION: f64 = 0.03;
/// A user comes on a weekend day this much less often.
const WEEKEND_FACTOR: f64 = 0.2;
/// After their last day of regular use, a churning user comes this much less often.
const DRIFTED_FACTOR: f64 = 0.05;
/// The chance that a user who left the account still comes on a day (a rare comeback).
const COMEBACK: f64 = 0.004;
/// The most rounds of intents acted on in one go (each may lead to another).
const INTENT_ROUNDS: usize = 4;
const MS_PER_DAY: i64 = 86_400_000;

/// Why a simulated device stopped: the engine refused a call the demo app makes, or sent
/// something that is not a batch. Either is a bug of the generator or the engine.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("the device engine refused a call of the demo app: {0}")]
    Call(#[from] CallError),
    #[error("the device engine sent a body that is not a batch: {0}")]
    Body(String),
}

/// A feature the user means to use on a day (or soon after).
struct Intent {
    feature: &'static str,
    due_day: u32,
}

/// The simulated browser of one user.
pub struct Device<'a> {
    engine: Engine,
    random: Random,
    user: &'a User,
    account: &'a Account,
    config: &'a Config,
    habits: Habits,
    browser: Browser,
    /// The history's first day, counted from 1970-01-01 (UTC), and how many days it has.
    first_day: i64,
    days: u32,
    now: Timestamp,
    day: u32,
    page: Page,
    /// Elements shown besides the page's own (the automation form, once opened).
    opened: Vec<&'static str>,
    /// Where a button the user pressed leads.
    navigation: Option<Page>,
    intents: Vec<Intent>,
    signed_in: bool,
    automations: u32,
}

impl<'a> Device<'a> {
    /// The device of `user`, of `account`, in a history of `days` days from `first_day`
    /// (counted from 1970-01-01).
    pub fn new(
        seed: u64,
        (first_day, days): (i64, u32),
        user: &'a User,
        account: &'a Account,
        config: &'a Config,
    ) -> Device<'a> {
        let mut random = Random::stream(seed, Stream::Behaviour, u64::from(user.index));
        let engine = Engine::new(EngineOptions {
            write_key: None,
            outbox: OutboxSettings::default(),
            seed: random.seed_bytes(),
            anonymous_id: None,
            user_id: None,
            traits: Map::new(),
            renderable: vec![
                ExperienceKind::Prompt,
                ExperienceKind::Tour,
                ExperienceKind::Checklist,
                ExperienceKind::Survey,
            ],
            write_float: serde_float,
        });
        let browser = Browser::draw(&mut random, user.locale);
        Device {
            engine,
            random,
            user,
            account,
            config,
            habits: user.persona.habits(),
            browser,
            first_day,
            days,
            now: Timestamp::from_millis(0),
            day: 0,
            page: INVOICES,
            opened: Vec::new(),
            navigation: None,
            intents: Vec::new(),
            signed_in: false,
            automations: 0,
        }
    }

    /// Lives `day` of the history (0 is its first): no session, or one to three.
    pub fn live_day(&mut self, day: u32) -> Result<(), DeviceError> {
        let sessions = self.sessions_on(day);
        self.day = day;
        let midnight = (self.first_day + i64::from(day)) * MS_PER_DAY;
        let mut start = midnight + self.minutes(7 * 60, 11 * 60) + self.seconds(0, 59);
        for _ in 0..sessions {
            self.now = Timestamp::from_millis(start.max(self.now.as_millis()));
            self.session()?;
            start = self.now.as_millis() + self.minutes(90, 240);
        }
        Ok(())
    }

    /// How many sessions the user has on `day`.
    fn sessions_on(&mut self, day: u32) -> u32 {
        let user = self.user;
        if day < user.signup_day || (user.no_show && day > user.signup_day) {
            return 0;
        }
        let mut chance = self.habits.daily * self.account.activity(day, self.days);
        // 1970-01-01 was a Thursday: 0 is Monday.
        let weekday = (self.first_day + i64::from(day) + 3).rem_euclid(7);
        if weekday >= 5 {
            chance *= WEEKEND_FACTOR;
        }
        if user.drifts_after.is_some_and(|last| day > last) {
            chance *= DRIFTED_FACTOR;
        }
        if user.leaves_on.is_some_and(|left| day >= left) {
            chance = COMEBACK;
        }
        // The day they sign up, everyone comes.
        if day > user.signup_day && !self.random.chance(chance) {
            return 0;
        }
        let another = self.habits.another_session;
        1 + u32::from(self.random.chance(another)) + u32::from(self.random.chance(another / 2.0))
    }

    fn minutes(&mut self, low: u32, high: u32) -> i64 {
        i64::from(self.random.between(low, high)) * 60_000
    }

    fn seconds(&mut self, low: u32, high: u32) -> i64 {
        i64::from(self.random.between(low, high)) * 1_000 + i64::from(self.random.between(0, 999))
    }

    /// Lets `low` to `high` seconds go by.
    fn wait(&mut self, low: u32, high: u32) {
        let pause = self.seconds(low, high);
        self.now = self.now.plus(Duration::from_millis(pause));
    }

    /// One visit to the app.
    fn session(&mut self) -> Result<(), DeviceError> {
        if !self.signed_in {
            self.sign_in()?;
        }
        self.go_to(INVOICES);
        if self.user.no_show {
            // Looks around once and leaves: never a use of any feature.
            if self.random.chance(0.5) {
                self.go_to(REPORTS);
            }
            return Ok(());
        }
        self.act_on_intents()?;
        if self.user.role.approves() && self.day >= self.user.first_value_day {
            let (fewest, most) = self.habits.approvals;
            let mut approvals = self.random.between(fewest, most);
            if self.automations > 0 {
                // The automations approve the routine invoices.
                approvals = approvals.div_ceil(2);
            }
            for _ in 0..approvals {
                self.approve_invoice()?;
            }
        } else if !self.user.role.approves() || (self.user.opens_first > 0.0 && self.random.chance(0.5)) {
            // A viewer, or an approver who only looks before their first approval.
            for _ in 0..self.random.between(1, 2) {
                self.open_invoice()?;
            }
        }
        let viewer_bonus = if self.user.role.approves() { 0.0 } else { 0.1 };
        if self.random.chance((self.habits.reports + viewer_bonus) * self.user.reporting) {
            self.look_at_reports()?;
        }
        if self.user.role.approves() && self.day >= self.user.first_value_day {
            if self.automations == 0 && self.random.chance(self.habits.wanders_to_automations) {
                self.go_to(AUTOMATIONS);
                if self.random.chance(CREATES_WHEN_LOOKING) {
                    self.create_automation()?;
                }
            } else if self.automations > 0 && self.random.chance(ANOTHER_AUTOMATION) {
                self.create_automation()?;
            }
        }
        self.act_on_intents()?;
        if self.engine.checklist_view().is_some() && self.random.chance(0.05) {
            self.wait(2, 20);
            self.engine.checklist_dismiss(self.now);
        }
        Ok(())
    }

    /// The first visit: the app names the user and their account, and the SDK gets its config.
    fn sign_in(&mut self) -> Result<(), DeviceError> {
        let user = self.user;
        let account = self.account;
        let signed_up = format_day(self.first_day + i64::from(user.signup_day));
        let traits: Map<String, Value> = [
            ("role", Value::from(user.role.as_str())),
            ("signed_up_at", Value::from(signed_up)),
            ("locale", Value::from(user.locale)),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        self.engine.identify(&user.id, traits, self.now)?;
        let created = format_day(self.first_day + i64::from(account.created_day));
        let account_traits: Map<String, Value> = [
            ("name", Value::from(account.name.as_str())),
            ("plan", Value::from(account.plan)),
            ("seats", Value::from(account.seats)),
            ("created_at", Value::from(created)),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        self.engine.group(&account.id, account_traits, self.now)?;
        self.engine.set_context(INVOICES.context(&self.browser));
        let decision = self.engine.load_config(self.config.clone(), self.now);
        self.settle(decision);
        self.signed_in = true;
        Ok(())
    }

    /// Goes to `page` (and on, where a button pressed there leads).
    fn go_to(&mut self, page: Page) {
        let mut next = Some(page);
        while let Some(page) = next {
            self.wait(1, 4);
            self.page = page;
            self.opened.clear();
            self.engine.set_context(page.context(&self.browser));
            let decision = self.engine.page(None, page.properties(), self.now);
            self.settle(decision);
            self.report_elements();
            next = self.navigation.take();
        }
    }

    /// Tells the engine which of its selectors are shown now, as the SDK does after a page view
    /// and after the page changes.
    fn report_elements(&mut self) {
        let present: Vec<bool> =
            self.engine.selectors().iter().map(|selector| self.page.shows(selector, &self.opened)).collect();
        let decision = self.engine.set_elements(&present, self.now);
        self.settle(decision);
    }

    /// Tracks an event of the app.
    fn track(&mut self, name: &str, properties: Map<String, Value>) -> Result<(), DeviceError> {
        let decision = self.engine.track(name, properties, self.now)?;
        self.settle(decision);
        Ok(())
    }

    fn approve_invoice(&mut self) -> Result<(), DeviceError> {
        if self.page != INVOICES {
            self.go_to(INVOICES);
        }
        let invoice = Invoice::draw(&mut self.random);
        if self.random.chance(self.user.opens_first) {
            self.wait(5, 40);
            self.track("invoice.opened", invoice.opened())?;
        }
        self.wait(8, 90);
        self.track("invoice.approved", invoice.approved())
    }

    fn open_invoice(&mut self) -> Result<(), DeviceError> {
        if self.page != INVOICES {
            self.go_to(INVOICES);
        }
        let invoice = Invoice::draw(&mut self.random);
        self.wait(5, 60);
        self.track("invoice.opened", invoice.opened())
    }

    fn look_at_reports(&mut self) -> Result<(), DeviceError> {
        self.go_to(REPORTS);
        let period = app::period(&mut self.random);
        if self.random.chance(0.35) {
            self.wait(5, 30);
            self.track("report.period_changed", app::period_changed(period))?;
            // A tip shown for the period may have made the user mean to export it now.
            self.act_on_intents()?;
        }
        if self.random.chance(self.habits.export) {
            self.export_report()?;
        }
        if self.random.chance(0.05) {
            self.wait(5, 30);
            self.track("report.scheduled", app::report_scheduled(period))?;
        }
        Ok(())
    }

    fn export_report(&mut self) -> Result<(), DeviceError> {
        if self.page != REPORTS {
            self.go_to(REPORTS);
        }
        self.wait(5, 40);
        let period = app::period(&mut self.random);
        self.track("report.exported", app::report_exported(period))
    }

    /// "New automation" (a click the SDK captures: the button is marked
    /// `data-uptake-feature`), then the form, then the automation created.
    fn create_automation(&mut self) -> Result<(), DeviceError> {
        if self.page != AUTOMATIONS {
            self.go_to(AUTOMATIONS);
        }
        self.wait(5, 40);
        let mut marked = Map::new();
        marked.insert("feature".to_owned(), Value::from(AUTOMATION_FEATURE));
        self.track(sdk_events::FEATURE_USED, marked)?;
        self.opened.push(AUTOMATION_FORM);
        self.report_elements();
        self.wait(20, 120);
        let created = app::automation_created(&mut self.random);
        self.track("automation.created", created)?;
        self.opened.clear();
        self.automations += 1;
        self.report_elements();
        Ok(())
    }

    /// Uses the features the user means to use today (and those they meant to earlier).
    fn act_on_intents(&mut self) -> Result<(), DeviceError> {
        for _ in 0..INTENT_ROUNDS {
            let today = self.day;
            let Some(position) = self.intents.iter().position(|intent| intent.due_day <= today) else { break };
            let intent = self.intents.remove(position);
            // One use serves every intent for the same feature.
            self.intents.retain(|other| other.feature != intent.feature);
            match intent.feature {
                // Automations are for those who approve invoices.
                AUTOMATION_FEATURE if self.user.role.approves() => self.create_automation()?,
                EXPORT_FEATURE => self.export_report()?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Shows what the engine decided, and every other experience due with it.
    fn settle(&mut self, decision: Option<Decision>) {
        let mut next = decision;
        while let Some(decision) = next {
            self.respond(decision);
            next = self.engine.next_decision(self.now);
        }
    }

    fn respond(&mut self, decision: Decision) {
        let goal = self.goal_of(&decision.reference);
        match &decision.experience {
            Experience::Prompt(prompt) => self.answer_prompt(&decision.reference, prompt, goal),
            Experience::Survey(survey) => self.answer_survey(&decision.reference, survey),
            Experience::Tour(_) => self.follow_tour(goal),
            // The checklist stays on screen until it is done or dismissed (see `session`).
            Experience::Checklist(_) => {}
        }
    }

    /// The feature a rule's goal is a use of, if the demo's users know how to use it.
    fn goal_of(&self, reference: &ExperienceRef) -> Option<&'static str> {
        let rule_id = reference.rule_id.as_deref()?;
        let rule = self.config.rules.iter().find(|rule| rule.id == rule_id)?;
        match &rule.goal {
            Some(Goal::Feature(goal)) => {
                [AUTOMATION_FEATURE, EXPORT_FEATURE].into_iter().find(|known| *known == goal.feature)
            }
            _ => None,
        }
    }

    /// The user means to use `feature`, today or within the week, with the chance `follow_through`.
    fn intend(&mut self, feature: &'static str, follow_through: f64) {
        if !self.random.chance(follow_through) {
            return;
        }
        let due_day = if self.random.chance(0.6) { self.day } else { self.day + self.random.between(1, 6) };
        self.intents.push(Intent { feature, due_day });
    }

    fn answer_prompt(&mut self, reference: &ExperienceRef, prompt: &Prompt, goal: Option<&'static str>) {
        self.wait(3, 25);
        let acting = prompt
            .buttons
            .iter()
            .position(|button| matches!(button.action, ButtonAction::Navigate(_) | ButtonAction::Tour(_)));
        let snoozes = prompt.buttons.iter().any(|button| button.action == ButtonAction::Snooze);
        let receptive = match prompt.display {
            Display::Modal => self.habits.receptive,
            Display::Banner(_) | Display::Tooltip(_) | Display::Hotspot(_) => {
                self.habits.receptive * UNOBTRUSIVE_FACTOR
            }
        };
        let acted_on = acting.filter(|_| self.random.chance(receptive));
        match acted_on.and_then(|index| Some((index, prompt.buttons.get(index)?.action.clone()))) {
            Some((button, action)) => {
                self.engine.experience_closed(reference, Outcome::Clicked { button }, self.now);
                match action {
                    ButtonAction::Navigate(target) => self.navigation = Some(Page::at(&target)),
                    ButtonAction::Tour(tour) => {
                        if self.engine.start_tour(&tour, self.now) {
                            self.follow_tour(None);
                        }
                    }
                    ButtonAction::Dismiss | ButtonAction::Snooze => {}
                }
                if let Some(goal) = goal {
                    self.intend(goal, FOLLOW_THROUGH);
                }
            }
            None if snoozes && self.random.chance(0.6) => {
                self.engine.experience_closed(reference, Outcome::Snoozed, self.now);
            }
            None => {
                self.engine.experience_closed(reference, Outcome::Dismissed, self.now);
                // A tip with nothing but "Got it" still tells the user what to do.
                if let Some(goal) = goal.filter(|_| acting.is_none() && self.random.chance(receptive)) {
                    self.intend(goal, FOLLOW_THROUGH);
                }
            }
        }
    }

    fn answer_survey(&mut self, reference: &ExperienceRef, survey: &Survey) {
        self.wait(5, 40);
        if !self.random.chance(0.55) {
            self.engine.experience_closed(reference, Outcome::Dismissed, self.now);
            return;
        }
        let happy = matches!(self.user.persona, Persona::Power | Persona::Regular);
        let answer = match survey.kind {
            SurveyKind::Nps => {
                let score = if happy { self.random.between(6, 10) } else { self.random.between(2, 9) };
                SurveyAnswer { score: u8::try_from(score).ok(), ..SurveyAnswer::default() }
            }
            SurveyKind::Csat => {
                let score = if happy { self.random.between(3, 5) } else { self.random.between(1, 5) };
                SurveyAnswer { score: u8::try_from(score).ok(), ..SurveyAnswer::default() }
            }
            SurveyKind::Choice => {
                let last = u32::try_from(survey.choices.len().saturating_sub(1)).unwrap_or(0);
                SurveyAnswer { choice: Some(self.random.between(0, last) as usize), ..SurveyAnswer::default() }
            }
        };
        if self.engine.survey_answered(reference, answer, self.now).is_err() {
            self.engine.experience_closed(reference, Outcome::Dismissed, self.now);
        }
    }

    /// Goes through the tour in progress step by step, or closes it on the way; a tour
    /// completed makes the user mean to use the goal of the rule that showed it.
    fn follow_tour(&mut self, goal: Option<&'static str>) {
        let steps =
            self.engine.state().tour.as_ref().and_then(|run| {
                self.config.tours.iter().find(|tour| tour.id == run.tour_id).map(|tour| tour.steps.len())
            });
        for _ in 0..steps.unwrap_or(0) {
            self.wait(2, 15);
            self.engine.tour_step_displayed(self.now);
            self.wait(3, 30);
            if self.random.chance(0.85) {
                self.engine.tour_next(self.now);
            } else {
                self.engine.tour_close(self.now);
                return;
            }
        }
        if let Some(goal) = goal.filter(|_| self.engine.state().tour.is_none()) {
            self.intend(goal, FOLLOW_THROUGH_AFTER_TOUR);
        }
    }

    /// Sends what the outbox holds, as the collector would accept it, and appends each event
    /// to `out` as one JSON line. Returns how many events.
    pub fn drain(&mut self, out: &mut Vec<u8>) -> Result<u64, DeviceError> {
        let mut events = 0;
        while let Some(batch) = self.engine.transmit_now(self.now) {
            let body: Value =
                serde_json::from_str(&batch.body).map_err(|error| DeviceError::Body(error.to_string()))?;
            let Some(Value::Array(items)) = body.get("batch") else {
                return Err(DeviceError::Body("no \"batch\" list".to_owned()));
            };
            for item in items {
                // The collector stores each event as it reads it: compact JSON of the value.
                serde_json::to_writer(&mut *out, item).map_err(|error| DeviceError::Body(error.to_string()))?;
                out.push(b'\n');
                events += 1;
            }
            self.engine.handle_delivery(batch.id, Delivery::Accepted { refused: Vec::new() }, self.now);
        }
        Ok(events)
    }
}
