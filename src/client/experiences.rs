//! What the user sees, driven by the engine: prompts (modal, banner, tooltip, hotspot),
//! surveys, the tour in progress and the checklist. Decisions become views; what the user does
//! in them goes back to the engine as outcomes. A tour step's target is looked for on the page,
//! waited for and re-checked as the DOM changes, and the card follows it; anchored cards are
//! rendered inside the target's top-layer ancestor when it has one.
//!
//! No borrow of the client's state is held while a view opens or closes: both move focus,
//! which runs the page's listeners, which may call the SDK.

use std::any::Any;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use serde_json::Value;
use uptake_core::config::{Advance, ButtonAction, Display, Prompt, Survey, SurveyKind};
use uptake_core::engine::{Decision, Experience, ExperienceRef, SurveyAnswer, TourView};
use uptake_core::exposure::Outcome;
use uptake_core::markup::plain_text;
use uptake_core::quote::quoted;
use uptake_core::tour::{StepPlace, TargetVerdict};
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::{Client, now};
use crate::console::{warn, warn_with};
use crate::listener::EventListener;
use crate::strings::strings;
use crate::tasks;
use crate::ui::{
    Anchor, ChecklistAction, ChecklistItemTexts, ChecklistTexts, ChecklistView, Choice, Content, FloatingOptions,
    FloatingView, HotspotLabels, HotspotView, ModalView, SurveyAnswerChoice, SurveyTexts, SurveyView, Target, UiRoot,
    scroll_into_view, top_layer_ancestor,
};

#[derive(Default)]
pub(super) struct Ui {
    body_root: Option<Rc<UiRoot>>,
    /// A root inside a host's top-layer element (an open modal dialog), for targets there.
    nested_root: Option<Rc<UiRoot>>,
    /// The prompt or survey on screen: one interruption at a time.
    interruption: Option<Interruption>,
    /// Interruptions decided while another was open, shown in turn.
    waiting: Vec<Decision>,
    hotspots: Vec<Hotspot>,
    tour: Option<TourShown>,
    checklist: Option<(ChecklistState, ChecklistView)>,
}

/// An open view: kept until dropped, which closes it.
type Surface = Box<dyn Any>;

struct Interruption {
    reference: ExperienceRef,
    /// The prompt whose buttons the view shows; none for a survey.
    prompt: Option<Prompt>,
    /// A survey that was answered: closing it is not a dismissal.
    answered: bool,
    _view: Surface,
}

struct Hotspot {
    reference: ExperienceRef,
    prompt: Prompt,
    view: HotspotView,
    tooltip: Option<FloatingView>,
}

/// Which step the tour shows, and how.
type TourKey = (String, usize, StepPlace);

struct TourShown {
    key: TourKey,
    /// The element the step points at; looked for again if the page removes it.
    target: Option<Element>,
    _view: Option<FloatingView>,
    /// Advances the step on a click on its target.
    _click: Option<EventListener>,
    /// Looks for a missing target again when its wait ends.
    _recheck: Option<Timeout>,
}

#[derive(Clone, PartialEq)]
struct ChecklistState {
    done: Vec<bool>,
    open: bool,
    locale: String,
}

/// How long the thanks of a survey stay on screen.
const THANKS_MS: u32 = 2_000;

/// The rule whose experience `reference` is, which the tab claims while it shows it (see
/// `tabs`): none for a preview, or an experience no rule showed.
fn claimed_rule(reference: &ExperienceRef) -> Option<&str> {
    reference.rule_id.as_deref().filter(|_| !reference.preview)
}

/// The action of the button a choice pressed, if any, and what closing with it means.
fn button_choice(prompt: Option<&Prompt>, choice: Choice) -> (Option<ButtonAction>, Outcome) {
    let pressed = match (choice, prompt) {
        (Choice::Button(index), Some(prompt)) => prompt.buttons.get(index).map(|button| (index, &button.action)),
        _ => None,
    };
    let outcome = match pressed {
        Some((_, ButtonAction::Dismiss)) | None => Outcome::Dismissed,
        Some((_, ButtonAction::Snooze)) => Outcome::Snoozed,
        Some((index, _)) => Outcome::Clicked { button: index },
    };
    (pressed.map(|(_, action)| action.clone()), outcome)
}

impl Client {
    /// The reader's locale: the `locale` trait, else the browser's language, else the config's
    /// default; and the default.
    fn locale(&self) -> (String, String) {
        let (trait_locale, default) = self
            .with_engine(|engine| {
                let traits = &engine.identity().traits;
                let trait_locale = traits.get("locale").and_then(Value::as_str).map(str::to_owned);
                let default = engine.config().map(|config| config.settings.default_locale.clone());
                (trait_locale, default)
            })
            .unwrap_or_default();
        let locale = trait_locale.or_else(|| self.inner.window.navigator().language()).unwrap_or_default();
        (locale, default.unwrap_or_else(|| "en".to_owned()))
    }

    fn prompt_content(&self, prompt: &Prompt) -> Content {
        let (locale, default) = self.locale();
        let words = strings(&locale);
        let mut buttons = Vec::with_capacity(prompt.buttons.len());
        for button in &prompt.buttons {
            buttons.push(button.label.resolve(&locale, &default).to_owned());
        }
        Content {
            title: prompt.title.resolve(&locale, &default).to_owned(),
            body: prompt.body.as_ref().map(|body| body.resolve(&locale, &default).to_owned()),
            buttons,
            close_label: words.close.to_owned(),
            ..Content::default()
        }
    }

    /// The root to render next to `target`: inside its top-layer ancestor if it has one, else at
    /// the end of the body.
    fn root_for(&self, target: Option<&Element>) -> Option<Rc<UiRoot>> {
        let container = target.and_then(top_layer_ancestor);
        if let Some(container) = container {
            let reusable =
                self.inner.ui.borrow().nested_root.clone().filter(|root| root.is_attached() && root.is_in(&container));
            if reusable.is_some() {
                return reusable;
            }
            let root = UiRoot::create(&self.inner.document, &container).ok().map(Rc::new)?;
            root.apply_theme(&self.theme());
            self.inner.ui.borrow_mut().nested_root = Some(Rc::clone(&root));
            return Some(root);
        }
        let reusable = self.inner.ui.borrow().body_root.clone().filter(|root| root.is_attached());
        if reusable.is_some() {
            return reusable;
        }
        match UiRoot::in_body(&self.inner.document) {
            Ok(root) => {
                root.apply_theme(&self.theme());
                let root = Rc::new(root);
                self.inner.ui.borrow_mut().body_root = Some(Rc::clone(&root));
                Some(root)
            }
            Err(error) => {
                warn_with("could not create the SDK's shadow root:", &error);
                None
            }
        }
    }

    /// The config's theme as custom properties, for a new root.
    fn theme(&self) -> Vec<(&'static str, String)> {
        self.with_engine(|engine| engine.config().map(|config| config.settings.theme.custom_properties()))
            .flatten()
            .unwrap_or_default()
    }

    fn on_choice(&self, handle: fn(&Client, Choice)) -> Rc<dyn Fn(Choice)> {
        let weak = self.weak();
        Rc::new(move |choice| {
            if let Some(client) = Client::from_weak(&weak) {
                handle(&client, choice);
            }
        })
    }

    /// Shows what the engine decided.
    pub(super) fn show(&self, decision: Decision) {
        match &decision.experience {
            Experience::Tour(_) | Experience::Checklist(_) => self.refresh_experiences(),
            Experience::Prompt(prompt) if matches!(prompt.display, Display::Hotspot(_)) => self.open_hotspot(decision),
            Experience::Prompt(_) | Experience::Survey(_) => {
                let busy = self.inner.opening.get() || self.inner.ui.borrow().interruption.is_some();
                if busy {
                    self.inner.ui.borrow_mut().waiting.push(decision);
                } else {
                    self.open_interruption(decision);
                }
            }
        }
    }

    /// The experience `?uptake_preview=<id>` asks for, once.
    pub(super) fn show_preview(&self) {
        let Some(id) = self.inner.preview.borrow_mut().take() else { return };
        match self.with_engine(|engine| engine.preview(&id, now())).flatten() {
            Some(decision) => self.show(decision),
            None => warn(&format!("uptake_preview: the config has no experience {}", quoted(&id))),
        }
    }

    fn open_interruption(&self, decision: Decision) {
        let Decision { reference, experience } = decision;
        self.inner.opening.set(true);
        let opened = match &experience {
            Experience::Prompt(prompt) => self.open_prompt(prompt).map(|surface| (Some(prompt.clone()), surface)),
            Experience::Survey(survey) => self.open_survey(survey).map(|surface| (None, surface)),
            Experience::Tour(_) | Experience::Checklist(_) => None,
        };
        self.inner.opening.set(false);
        match opened {
            Some((prompt, surface)) => {
                let claimed = claimed_rule(&reference).is_some();
                self.inner.ui.borrow_mut().interruption =
                    Some(Interruption { reference, prompt, answered: false, _view: surface });
                if claimed {
                    self.claims_changed();
                }
            }
            None => self.show_next_waiting(),
        }
    }

    fn open_prompt(&self, prompt: &Prompt) -> Option<Surface> {
        let content = self.prompt_content(prompt);
        let on_choice = self.on_choice(Client::interruption_choice);
        let opened = match &prompt.display {
            Display::Modal => {
                let root = self.root_for(None)?;
                ModalView::modal(&self.inner.document, &root, &content, on_choice).map(|view| Box::new(view) as Surface)
            }
            Display::Banner(edge) => {
                let root = self.root_for(None)?;
                let bottom = *edge == uptake_core::config::Edge::Bottom;
                ModalView::banner(&self.inner.document, &root, &content, bottom, on_choice)
                    .map(|view| Box::new(view) as Surface)
            }
            Display::Tooltip(anchor) => {
                let target = self.find_target(&anchor.target).ok().flatten()?;
                scroll_into_view(&self.inner.window, &self.inner.document, &target);
                let root = self.root_for(Some(&target))?;
                let options = FloatingOptions {
                    placement: anchor.placement,
                    spotlight: false,
                    take_focus: true,
                    id: "uptake-tooltip",
                };
                let target = Target::new(target, &anchor.target);
                FloatingView::open(&root, &content, Anchor::Target(target), options, on_choice)
                    .map(|view| Box::new(view) as Surface)
            }
            Display::Hotspot(_) => return None,
        };
        opened.map_err(|error| warn_with("could not show a prompt:", &error)).ok()
    }

    fn open_survey(&self, survey: &Survey) -> Option<Surface> {
        let (locale, default) = self.locale();
        let words = strings(&locale);
        let (low, high) = match survey.kind {
            SurveyKind::Nps => (words.not_likely, words.very_likely),
            SurveyKind::Csat | SurveyKind::Choice => (words.very_unsatisfied, words.very_satisfied),
        };
        let mut choices = Vec::with_capacity(survey.choices.len());
        for choice in &survey.choices {
            choices.push(choice.resolve(&locale, &default).to_owned());
        }
        let texts = SurveyTexts {
            kind: survey.kind,
            question: survey.question.resolve(&locale, &default).to_owned(),
            choices,
            follow_up: survey.follow_up.as_ref().map(|text| text.resolve(&locale, &default).to_owned()),
            low_label: low.to_owned(),
            high_label: high.to_owned(),
            submit: words.submit.to_owned(),
            skip: words.skip.to_owned(),
            thanks: words.thanks.to_owned(),
            close_label: words.close.to_owned(),
        };
        let root = self.root_for(None)?;
        let weak = self.weak();
        let on_answer = Rc::new(move |answer: SurveyAnswerChoice, comment: Option<String>| {
            if let Some(client) = Client::from_weak(&weak) {
                client.survey_answered(answer, comment);
            }
        });
        let weak = self.weak();
        let on_close = Rc::new(move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.interruption_choice(Choice::Close);
            }
        });
        SurveyView::open(&self.inner.document, &root, texts, on_answer, on_close)
            .map(|view| Box::new(view) as Surface)
            .map_err(|error| warn_with("could not show a survey:", &error))
            .ok()
    }

    fn survey_answered(&self, answer: SurveyAnswerChoice, comment: Option<String>) {
        let reference = self.inner.ui.borrow_mut().interruption.as_mut().filter(|open| !open.answered).map(|open| {
            open.answered = true;
            open.reference.clone()
        });
        let Some(reference) = reference else { return };
        let answer = match answer {
            SurveyAnswerChoice::Score(score) => SurveyAnswer { score: Some(score), choice: None, comment },
            SurveyAnswerChoice::Choice(choice) => SurveyAnswer { score: None, choice: Some(choice), comment },
        };
        if let Some(Err(error)) = self.with_engine(|engine| engine.survey_answered(&reference, answer, now())) {
            warn(&format!("survey answer ignored: {error}"));
        }
        self.save_now();
        self.after_change();
        let weak = self.weak();
        tasks::after(THANKS_MS, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.close_interruption(&reference);
            }
        })
        .forget();
    }

    /// Closes the interruption on screen if it is still `reference`'s, and shows the next one.
    fn close_interruption(&self, reference: &ExperienceRef) {
        let open = {
            let mut ui = self.inner.ui.borrow_mut();
            if ui.interruption.as_ref().is_some_and(|open| &open.reference == reference) {
                ui.interruption.take()
            } else {
                None
            }
        };
        if let Some(open) = open {
            let claimed = claimed_rule(&open.reference).is_some();
            drop(open);
            if claimed {
                self.claims_changed();
            }
            self.show_next_waiting();
        }
    }

    /// The rule of the prompt or survey on screen, if a rule (not a preview) showed it.
    pub(super) fn shown_interruption_rule(&self) -> Option<String> {
        let ui = self.inner.ui.borrow();
        claimed_rule(&ui.interruption.as_ref()?.reference).map(str::to_owned)
    }

    /// Whether the tour's step is on screen here.
    pub(super) fn shows_tour_step(&self) -> bool {
        self.inner.ui.borrow().tour.as_ref().is_some_and(|shown| shown._view.is_some())
    }

    fn show_next_waiting(&self) {
        let next = {
            let waiting = &mut self.inner.ui.borrow_mut().waiting;
            (!waiting.is_empty()).then(|| waiting.remove(0))
        };
        if let Some(next) = next {
            self.open_interruption(next);
        }
    }

    /// What a button, the close button or Escape in a prompt or survey does.
    fn interruption_choice(&self, choice: Choice) {
        let Some(open) = self.inner.ui.borrow_mut().interruption.take() else { return };
        let (action, outcome) = button_choice(open.prompt.as_ref(), choice);
        if !open.answered {
            self.with_engine(|engine| engine.experience_closed(&open.reference, outcome, now()));
        }
        if claimed_rule(&open.reference).is_some() {
            self.inner.part_changed.set(true);
        }
        // Closing moves focus back into the page, which may run the host's listeners.
        drop(open);
        self.save_now();
        self.after_change();
        if !self.follow(action) {
            self.show_next_waiting();
        }
    }

    /// Opens a button's link or starts its tour; whether the page is being left.
    fn follow(&self, action: Option<ButtonAction>) -> bool {
        match action {
            Some(ButtonAction::Navigate(url)) => {
                if let Err(error) = self.inner.window.location().assign(&url) {
                    warn_with("could not open the prompt's link:", &error);
                }
                true
            }
            Some(ButtonAction::Tour(tour)) => {
                self.start_tour(&tour);
                false
            }
            _ => false,
        }
    }

    fn open_hotspot(&self, decision: Decision) {
        let Decision { reference, experience: Experience::Prompt(prompt) } = decision else { return };
        let Display::Hotspot(hotspot) = &prompt.display else { return };
        if self.inner.ui.borrow().hotspots.iter().any(|shown| shown.reference.id == reference.id) {
            // Already on its element (a preview of a hotspot its rule showed too).
            return;
        }
        let Some(target) = self.find_target(&hotspot.target).ok().flatten() else { return };
        let Some(root) = self.root_for(Some(&target)) else { return };
        let (locale, default) = self.locale();
        let words = strings(&locale);
        let label = format!("{}: {}", words.new_badge, plain_text(prompt.title.resolve(&locale, &default)));
        let weak = self.weak();
        let id = reference.id.clone();
        let on_open = Rc::new(move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.toggle_hotspot(&id);
            }
        });
        match HotspotView::open(
            &self.inner.document,
            &self.inner.window,
            &root,
            Target::new(target, &hotspot.target),
            hotspot.badge,
            HotspotLabels { badge: words.new_badge, accessible: &label },
            on_open,
        ) {
            Ok(view) => self.inner.ui.borrow_mut().hotspots.push(Hotspot { reference, prompt, view, tooltip: None }),
            Err(error) => warn_with("could not show a hotspot:", &error),
        }
    }

    fn toggle_hotspot(&self, id: &str) {
        let opened = {
            let mut ui = self.inner.ui.borrow_mut();
            let Some(hotspot) = ui.hotspots.iter_mut().find(|h| h.reference.id == id) else { return };
            hotspot.tooltip.take()
        };
        if let Some(tooltip) = opened {
            drop(tooltip);
            self.set_hotspot_expanded(id, false);
            return;
        }
        let found = {
            let ui = self.inner.ui.borrow();
            ui.hotspots.iter().find(|h| h.reference.id == id).map(|h| (h.prompt.clone(), h.view.target()))
        };
        let Some((prompt, target)) = found else { return };
        let Display::Hotspot(hotspot) = &prompt.display else { return };
        let (selector, placement) = (hotspot.target.clone(), hotspot.placement);
        let Some(root) = self.root_for(Some(&target)) else { return };
        let content = self.prompt_content(&prompt);
        let weak = self.weak();
        let hotspot_id = id.to_owned();
        let on_choice: Rc<dyn Fn(Choice)> = Rc::new(move |choice| {
            if let Some(client) = Client::from_weak(&weak) {
                client.hotspot_choice(&hotspot_id, choice);
            }
        });
        let options = FloatingOptions { placement, spotlight: false, take_focus: true, id: "uptake-hotspot" };
        match FloatingView::open(&root, &content, Anchor::Target(Target::new(target, &selector)), options, on_choice) {
            Ok(tooltip) => {
                if let Some(hotspot) = self.inner.ui.borrow_mut().hotspots.iter_mut().find(|h| h.reference.id == id) {
                    hotspot.tooltip = Some(tooltip);
                }
                self.set_hotspot_expanded(id, true);
            }
            Err(error) => warn_with("could not open the hotspot:", &error),
        }
    }

    fn set_hotspot_expanded(&self, id: &str, expanded: bool) {
        if let Some(hotspot) = self.inner.ui.borrow().hotspots.iter().find(|h| h.reference.id == id) {
            hotspot.view.set_expanded(expanded);
        }
    }

    fn hotspot_choice(&self, id: &str, choice: Choice) {
        if choice == Choice::Escape {
            // Hides the tooltip; the badge stays, and gets the focus back.
            self.toggle_hotspot(id);
            return;
        }
        let hotspot = {
            let mut ui = self.inner.ui.borrow_mut();
            let index = ui.hotspots.iter().position(|h| h.reference.id == id);
            index.map(|index| ui.hotspots.remove(index))
        };
        let Some(hotspot) = hotspot else { return };
        let (action, outcome) = button_choice(Some(&hotspot.prompt), choice);
        self.with_engine(|engine| engine.experience_closed(&hotspot.reference, outcome, now()));
        // The badge goes away with its tooltip: focus goes to the element it marked.
        let target = hotspot.view.target();
        drop(hotspot);
        if let Some(target) = target.dyn_ref::<web_sys::HtmlElement>() {
            let _ = target.focus();
        }
        self.save_now();
        self.after_change();
        self.follow(action);
    }

    /// Brings the tour and the checklist on screen up to date with the engine: now, or after the
    /// SDK's start or the config's application (`render_later`).
    pub(super) fn refresh_experiences(&self) {
        if self.inner.rendering_later.get() {
            self.inner.render_wanted.set(true);
            return;
        }
        self.render_tour();
        self.render_checklist();
    }

    /// Ends the start's or the config's work: the tour and the checklist are rendered if they
    /// changed, each in a task of its own. Done in the same task, the config's work and both
    /// renders made one task of more than 50 ms at a page's start (in 4 of 7 pages of the tour
    /// benchmark, 2026-12-06), and the page could not respond meanwhile.
    pub(crate) fn render_later(&self) {
        self.inner.rendering_later.set(false);
        if !self.inner.render_wanted.replace(false) {
            return;
        }
        let weak = self.weak();
        let tour = tasks::after(0, move || {
            let Some(client) = Client::from_weak(&weak) else { return };
            client.render_tour();
            let weak = client.weak();
            let checklist = tasks::after(0, move || {
                if let Some(client) = Client::from_weak(&weak) {
                    client.render_checklist();
                }
            });
            *client.inner.render_timer.borrow_mut() = Some(checklist);
        });
        *self.inner.render_timer.borrow_mut() = Some(tour);
    }

    /// Shows the tour's current step where it goes, unless the page is hidden or another tab
    /// shows the tour: one tab at a time has it on screen, and the other tabs learn whether
    /// this one does.
    fn render_tour(&self) {
        let showed = self.shows_tour_step();
        self.render_tour_step();
        if self.shows_tour_step() != showed {
            self.claims_changed();
        }
    }

    fn render_tour_step(&self) {
        let key = self.with_engine(|engine| engine.tour_key()).flatten();
        let hidden = self.inner.document.visibility_state() == web_sys::VisibilityState::Hidden;
        if hidden || (key.is_some() && self.tour_shown_elsewhere()) {
            let old = self.inner.ui.borrow_mut().tour.take();
            drop(old);
            return;
        }
        let unchanged = {
            let ui = self.inner.ui.borrow();
            match (&ui.tour, &key) {
                (Some(shown), Some(key)) => {
                    &shown.key == key
                        && (shown._view.is_some() || matches!(key.2, StepPlace::Elsewhere))
                        && shown.target.as_ref().is_none_or(|target| target.is_connected())
                }
                (None, None) => true,
                _ => false,
            }
        };
        if unchanged {
            return;
        }
        let old = self.inner.ui.borrow_mut().tour.take();
        drop(old);
        let view = self.with_engine(|engine| engine.tour_view()).flatten();
        let (Some(view), Some(key)) = (view, key) else { return };
        let shown = match &view.place {
            StepPlace::Elsewhere => TourShown { key, target: None, _view: None, _click: None, _recheck: None },
            StepPlace::Centered => {
                let card = self.open_step(&view, Anchor::Centered);
                TourShown { key, target: None, _view: card, _click: None, _recheck: None }
            }
            StepPlace::Anchored(selector) => {
                let target = match self.find_target(selector) {
                    Ok(found) => found,
                    Err(_) => {
                        warn(&format!("the tour's selector {} is not valid CSS", quoted(selector)));
                        None
                    }
                };
                let verdict = self.with_engine(|engine| engine.tour_target(target.is_some(), now())).flatten();
                match (verdict, target) {
                    (Some(TargetVerdict::Show), Some(target)) => {
                        scroll_into_view(&self.inner.window, &self.inner.document, &target);
                        let click =
                            (view.content.advance == Advance::Click).then(|| self.advance_on_click(&target)).flatten();
                        let card = self.open_step(&view, Anchor::Target(Target::new(target.clone(), selector)));
                        TourShown { key, target: Some(target), _view: card, _click: click, _recheck: None }
                    }
                    (Some(TargetVerdict::Wait { until }), _) => {
                        let delay = u32::try_from((until.as_millis() - now().as_millis()).max(0)).unwrap_or(u32::MAX);
                        let weak = self.weak();
                        let recheck = tasks::after(delay, move || {
                            if let Some(client) = Client::from_weak(&weak) {
                                client.retry_tour_target();
                            }
                        });
                        TourShown { key, target: None, _view: None, _click: None, _recheck: Some(recheck) }
                    }
                    // Shown centred, skipped or aborted: the engine moved on; show what it says now.
                    _ => {
                        self.after_change();
                        return self.render_tour_step();
                    }
                }
            }
        };
        self.inner.ui.borrow_mut().tour = Some(shown);
        self.after_change();
    }

    /// Looks again for a waited-for target (its wait ended, or the DOM changed).
    fn retry_tour_target(&self) {
        let waiting = self.inner.ui.borrow().tour.as_ref().is_some_and(|shown| shown._recheck.is_some());
        if waiting {
            self.inner.ui.borrow_mut().tour.take();
            self.render_tour();
        }
    }

    fn advance_on_click(&self, target: &Element) -> Option<EventListener> {
        let weak = self.weak();
        EventListener::new(target, "click", true, move |_| {
            if let Some(client) = Client::from_weak(&weak) {
                client.with_engine(|engine| engine.tour_next(now()));
                client.render_tour();
            }
        })
    }

    fn open_step(&self, view: &TourView, anchor: Anchor) -> Option<FloatingView> {
        let (locale, default) = self.locale();
        let words = strings(&locale);
        let (step, steps) = (view.step + 1, view.steps);
        let content = Content {
            title: view.content.title.resolve(&locale, &default).to_owned(),
            body: view.content.body.as_ref().map(|body| body.resolve(&locale, &default).to_owned()),
            buttons: Vec::new(),
            progress: Some((step, steps)),
            next: view.content.advance == Advance::Next,
            close_label: words.close.to_owned(),
            back_label: words.back.to_owned(),
            next_label: words.next.to_owned(),
            done_label: words.done.to_owned(),
            progress_label: format!("{step} {} {steps}", words.of),
        };
        let target = match &anchor {
            Anchor::Target(target) => Some(target.element()),
            Anchor::Centered => None,
        };
        let root = self.root_for(target.as_ref())?;
        let options = FloatingOptions {
            placement: view.placement,
            spotlight: view.spotlight,
            take_focus: true,
            id: "uptake-tour",
        };
        let on_choice = self.on_choice(Client::tour_choice);
        self.inner.opening.set(true);
        let card = FloatingView::open(&root, &content, anchor, options, on_choice);
        self.inner.opening.set(false);
        match card {
            Ok(card) => {
                self.with_engine(|engine| engine.tour_step_displayed(now()));
                Some(card)
            }
            Err(error) => {
                warn_with("could not show the tour:", &error);
                None
            }
        }
    }

    fn tour_choice(&self, choice: Choice) {
        self.with_engine(|engine| match choice {
            Choice::Next => engine.tour_next(now()),
            Choice::Back => engine.tour_back(now()),
            Choice::Close | Choice::Escape | Choice::Button(_) => engine.tour_close(now()),
        });
        self.render_tour();
        self.after_change();
    }

    fn render_checklist(&self) {
        let Some((done, open)) = self.with_engine(|engine| engine.checklist_status()).flatten() else {
            let old = self.inner.ui.borrow_mut().checklist.take();
            drop(old);
            return;
        };
        let (locale, default) = self.locale();
        let state = ChecklistState { done, open, locale: locale.clone() };
        if self.inner.ui.borrow().checklist.as_ref().is_some_and(|(shown, _)| shown == &state) {
            return;
        }
        // Changed: now the texts are needed.
        let Some(view) = self.with_engine(|engine| engine.checklist_view()).flatten() else { return };
        let had_focus = self.inner.ui.borrow().checklist.is_some();
        let old = self.inner.ui.borrow_mut().checklist.take();
        drop(old);
        let words = strings(&locale);
        let done = view.done.iter().filter(|done| **done).count();
        let mut items = Vec::with_capacity(view.checklist.items.len());
        for (item, done) in view.checklist.items.iter().zip(&view.done) {
            let label = item.label.resolve(&locale, &default).to_owned();
            items.push(ChecklistItemTexts { label, done: *done, has_tour: item.tour.is_some() });
        }
        let texts = ChecklistTexts {
            title: view.checklist.title.resolve(&locale, &default).to_owned(),
            items,
            open: view.open,
            progress: format!("{done}/{}", view.done.len()),
            done_label: words.item_done.to_owned(),
            dismiss_label: words.dismiss_checklist.to_owned(),
        };
        let Some(root) = self.root_for(None) else { return };
        let weak = self.weak();
        let on_action = Rc::new(move |action| {
            if let Some(client) = Client::from_weak(&weak) {
                client.checklist_action(action);
            }
        });
        match ChecklistView::open(&self.inner.document, &root, &texts, on_action) {
            Ok(checklist) => {
                if had_focus {
                    checklist.focus(view.open);
                }
                self.inner.ui.borrow_mut().checklist = Some((state, checklist));
            }
            Err(error) => warn_with("could not show the checklist:", &error),
        }
    }

    fn checklist_action(&self, action: ChecklistAction) {
        match action {
            ChecklistAction::Toggle => {
                let open =
                    self.with_engine(|engine| engine.checklist_view().is_some_and(|view| view.open)).unwrap_or(false);
                self.with_engine(|engine| engine.checklist_set_open(!open, now()));
            }
            ChecklistAction::Item(item) => {
                let started = self.with_engine(|engine| {
                    engine.checklist_set_open(false, now());
                    engine.checklist_item_tour(item, now())
                });
                if started == Some(true) {
                    self.go_to_tour();
                }
            }
            ChecklistAction::Dismiss => {
                self.with_engine(|engine| engine.checklist_dismiss(now()));
            }
        }
        self.refresh_experiences();
        self.after_change();
    }
}
