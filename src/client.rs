//! The running SDK: one engine and the browser resources it needs. Every call from the host app,
//! every timer and every answer from the network goes to the engine, then the client performs
//! what the engine asks for: save state, arm the send timer, send batches, show a prompt.
//!
//! The engine is never borrowed across a call into the page: rendering and focus changes run
//! host listeners synchronously, and such a listener may call the SDK again.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use serde_json::{Map, Value};
use uptake_core::config::{ButtonAction, Config, ExperienceKind, Prompt, RecencyClass};
use uptake_core::engine::{Decision, Engine, EngineOptions, Experience, IdentifyOutcome, sdk_events};
use uptake_core::exposure::Outcome;
use uptake_core::iso8601::format_timestamp;
use uptake_core::outbox::Delivery;
use uptake_core::time::Timestamp;
use web_sys::{Document, Window};

use crate::console::{warn, warn_with};
use crate::elements::{self, ElementWatch};
use crate::listener::EventListener;
use crate::options::Options;
use crate::storage::Storage;
use crate::transport::Transport;
use crate::ui::{PromptChoice, PromptContent, PromptView, UiRoot};
use crate::{autocapture, context, lifecycle};

/// How long after a change the state is saved, so a burst of events is one write.
const SAVE_DELAY_MS: u32 = 1_000;

fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

#[derive(Clone)]
pub(crate) struct Client {
    inner: Rc<Inner>,
}

struct Inner {
    window: Window,
    document: Document,
    engine: RefCell<Engine>,
    storage: Storage,
    transport: Transport,
    /// The timer that wakes the outbox, with the instant it is set for.
    send_timer: RefCell<Option<(Timestamp, Timeout)>>,
    save_timer: RefCell<Option<Timeout>>,
    ui: RefCell<Ui>,
    /// Set while a prompt is being opened, when calls may come back in from page listeners.
    opening_prompt: Cell<bool>,
    listeners: RefCell<Vec<EventListener>>,
    /// Watches the DOM while the config has selectors to look for.
    element_watch: RefCell<Option<ElementWatch>>,
    /// Whether an invalid selector was reported already.
    warned_selector: Cell<bool>,
}

#[derive(Default)]
struct Ui {
    root: Option<Rc<UiRoot>>,
    open: Option<OpenPrompt>,
    /// Prompts decided while another was open, shown in turn.
    waiting: VecDeque<(String, Prompt)>,
}

struct OpenPrompt {
    rule_id: String,
    prompt: Prompt,
    _view: PromptView,
}

/// 32 bytes from `crypto.getRandomValues`; `Math.random` where it is missing.
fn random_seed(window: &Window) -> [u8; 32] {
    let mut seed = [0u8; 32];
    if let Ok(crypto) = window.crypto()
        && crypto.get_random_values_with_u8_array(&mut seed).is_ok()
    {
        return seed;
    }
    for chunk in seed.chunks_mut(4) {
        let random = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        chunk.copy_from_slice(&random.to_le_bytes());
    }
    seed
}

impl Client {
    /// Starts the SDK: restores the identity, the user's state and the cached config, listens to
    /// the page, and fetches the current config unless one was given.
    pub(crate) fn start(options: Options) -> Result<Client, &'static str> {
        let window = web_sys::window().ok_or("no window: the SDK runs in a browser page")?;
        let document = window.document().ok_or("no document: the SDK runs in a browser page")?;
        let storage = Storage::open(&window, &options.write_key);
        let identity = storage.load_identity();
        let engine = Engine::new(EngineOptions {
            write_key: Some(options.write_key.clone()),
            outbox: options.outbox,
            seed: random_seed(&window),
            anonymous_id: identity.anonymous_id,
            user_id: identity.user_id.clone(),
            traits: identity.traits,
            renderable: vec![ExperienceKind::Prompt],
        });
        let client = Client {
            inner: Rc::new(Inner {
                transport: Transport::new(&options.collector),
                window,
                document,
                engine: RefCell::new(engine),
                storage,
                send_timer: RefCell::new(None),
                save_timer: RefCell::new(None),
                ui: RefCell::new(Ui::default()),
                opening_prompt: Cell::new(false),
                listeners: RefCell::new(Vec::new()),
                element_watch: RefCell::new(None),
                warned_selector: Cell::new(false),
            }),
        };
        client.restore_state(identity.user_id.as_deref());
        client.set_page_context(&context::page_properties(&client.inner.window));
        match options.config {
            Some(text) => {
                client.apply_config(&text);
            }
            None => {
                if let Some(cached) = client.inner.storage.load_config() {
                    client.apply_config(&cached);
                }
                client.fetch_config();
            }
        }
        client.listen();
        Ok(client)
    }

    fn weak(&self) -> Weak<Inner> {
        Rc::downgrade(&self.inner)
    }

    fn from_weak(weak: &Weak<Inner>) -> Option<Client> {
        weak.upgrade().map(|inner| Client { inner })
    }

    fn listen(&self) {
        let mut listeners = Vec::new();
        let weak = self.weak();
        listeners.extend(autocapture::listen(&self.inner.document, move |feature| {
            if let Some(client) = Client::from_weak(&weak) {
                let mut properties = Map::new();
                properties.insert("feature".to_owned(), Value::String(feature));
                client.track(sdk_events::FEATURE_USED, properties);
            }
        }));
        let weak = self.weak();
        listeners.extend(lifecycle::listen(&self.inner.window, &self.inner.document, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.on_page_hidden();
            }
        }));
        self.inner.listeners.borrow_mut().extend(listeners);
    }

    /// Runs `change` on the engine. The engine is pure Rust, so the borrow cannot be held by a
    /// page callback; a failure here is a bug, reported rather than panicking.
    fn with_engine<R>(&self, change: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        match self.inner.engine.try_borrow_mut() {
            Ok(mut engine) => Some(change(&mut engine)),
            Err(_) => {
                warn("internal error: the engine is busy; this call was ignored");
                None
            }
        }
    }

    fn restore_state(&self, user_id: Option<&str>) {
        match self.inner.storage.load_state(user_id) {
            Ok(Some(state)) => {
                self.with_engine(|engine| engine.restore_state(state, now()));
            }
            Ok(None) => {}
            Err(error) => {
                let reason = error.to_string();
                warn_with("the stored usage state was discarded:", &reason.as_str().into());
                self.inner.storage.discard_state(user_id);
                self.with_engine(|engine| engine.report_state_discarded(&reason, now()));
            }
        }
    }

    fn apply_config(&self, text: &str) -> bool {
        match Config::from_json_text(text) {
            Ok(config) => {
                let decision = self.with_engine(|engine| engine.load_config(config, now())).flatten();
                self.show(decision);
                self.watch_elements();
                self.check_elements();
                self.after_change();
                true
            }
            Err(errors) => {
                warn_with("the config is invalid; rules are off until it is fixed:", &errors.to_string().into());
                false
            }
        }
    }

    fn fetch_config(&self) {
        let client = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match client.inner.transport.fetch_config().await {
                Ok(text) => {
                    if client.apply_config(&text) {
                        client.inner.storage.save_config(&text);
                    }
                }
                Err(error) => warn_with("could not fetch the config; using the last one seen:", &error),
            }
        });
    }

    /// Watches the DOM for the config's selectors, if it has any.
    fn watch_elements(&self) {
        let watched = !self.with_engine(|engine| engine.selectors().is_empty()).unwrap_or(true);
        let mut watch = self.inner.element_watch.borrow_mut();
        if !watched {
            watch.take();
        } else if watch.is_none() {
            let weak = self.weak();
            *watch = ElementWatch::start(&self.inner.document, move || {
                if let Some(client) = Client::from_weak(&weak) {
                    client.check_elements();
                }
            });
        }
    }

    /// Tells the engine which of its selectors are on the page now.
    fn check_elements(&self) {
        let Some(selectors) = self.with_engine(|engine| engine.selectors().to_vec()) else { return };
        if selectors.is_empty() {
            return;
        }
        let present = elements::present(&self.inner.document, &selectors, &self.inner.warned_selector);
        let decision = self.with_engine(|engine| engine.set_elements(&present, now())).flatten();
        self.show(decision);
        self.after_change();
    }

    fn set_page_context(&self, page: &Map<String, Value>) {
        let context = context::event_context(&self.inner.window, page);
        self.with_engine(|engine| engine.set_context(context));
    }

    pub(crate) fn track(&self, name: &str, properties: Map<String, Value>) {
        match self.with_engine(|engine| engine.track(name, properties, now())) {
            Some(Ok(decision)) => self.show(decision),
            Some(Err(error)) => warn(&format!("track ignored: {error}")),
            None => {}
        }
        self.after_change();
    }

    pub(crate) fn identify(&self, user_id: &str, traits: Map<String, Value>) {
        let outcome = self.with_engine(|engine| engine.identify(user_id, traits, now()));
        match outcome {
            Some(Ok(IdentifyOutcome::SameUser)) | None => {}
            Some(Ok(IdentifyOutcome::Identified)) => {
                // The anonymous visitor's state is the user's now, saved under their id below.
                self.save_now();
                self.inner.storage.discard_state(None);
            }
            Some(Ok(IdentifyOutcome::SwitchedUser { previous_user, previous_state })) => {
                self.inner.storage.save_state(Some(&previous_user), &previous_state);
                self.restore_state(Some(user_id));
                self.save_now();
            }
            Some(Err(error)) => {
                warn(&format!("identify ignored: {error}"));
                return;
            }
        }
        // New traits, perhaps another user: every rule may hold or not now.
        let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
        self.show(decision);
        self.after_change();
    }

    pub(crate) fn group(&self, group_id: &str, traits: Map<String, Value>) {
        match self.with_engine(|engine| engine.group(group_id, traits, now())) {
            Some(Ok(())) => {
                let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
                self.show(decision);
            }
            Some(Err(error)) => warn(&format!("group ignored: {error}")),
            None => {}
        }
        self.after_change();
    }

    /// A page view: the page's properties, plus the host's.
    pub(crate) fn page(&self, name: Option<String>, extra: Map<String, Value>) {
        let mut properties = context::page_properties(&self.inner.window);
        properties.extend(extra);
        self.set_page_context(&properties);
        let decision = self.with_engine(|engine| engine.page(name, properties, now())).flatten();
        self.show(decision);
        self.check_elements();
        self.after_change();
    }

    /// Saves now and sends everything queued; resolves when the collector has answered. A
    /// failed send stops the flush; the events stay queued and are retried later.
    pub(crate) async fn flush(&self) {
        self.save_now();
        while let Some(outgoing) = self.with_engine(|engine| engine.transmit_now(now())).flatten() {
            let delivery = self.inner.transport.send(&outgoing.batch).await;
            self.with_engine(|engine| engine.handle_delivery(outgoing.id, delivery, now()));
            if delivery == Delivery::Failed {
                break;
            }
        }
        self.after_change();
    }

    /// Usage of one feature on this device, for the host app: count, first and last use, days.
    pub(crate) fn feature_usage(&self, feature: &str) -> Option<Value> {
        self.with_engine(|engine| {
            let usage = engine.feature_usage(feature)?;
            let date = |at: Option<Timestamp>| at.map_or(Value::Null, |at| Value::from(format_timestamp(at)));
            let mut view = Map::new();
            view.insert("count".to_owned(), Value::from(usage.count));
            view.insert("firstUsed".to_owned(), date(usage.first_used));
            view.insert("lastUsed".to_owned(), date(usage.last_used));
            view.insert("activeDays".to_owned(), Value::from(usage.days.total()));
            view.insert("entrySeen".to_owned(), Value::from(usage.entry_seen_at.is_some()));
            Some(Value::Object(view))
        })
        .flatten()
    }

    /// Where the user stands in the adoption model: `{level, recency, depth}`.
    pub(crate) fn adoption(&self) -> Option<Value> {
        let metrics = self.with_engine(|engine| engine.metrics(now())).flatten()?;
        let recency = match metrics.recency {
            RecencyClass::New => "new",
            RecencyClass::Active => "active",
            RecencyClass::AtRisk => "at_risk",
            RecencyClass::Dormant => "dormant",
        };
        let mut view = Map::new();
        view.insert("level".to_owned(), Value::from(metrics.level));
        view.insert("recency".to_owned(), Value::from(recency));
        view.insert("depth".to_owned(), Value::from(metrics.depth));
        Some(Value::Object(view))
    }

    pub(crate) fn anonymous_id(&self) -> String {
        self.with_engine(|engine| engine.identity().anonymous_id.clone()).unwrap_or_default()
    }

    /// After every change: save soon, and wake the outbox when it asks.
    fn after_change(&self) {
        self.schedule_save();
        self.schedule_send();
    }

    fn schedule_save(&self) {
        let unsaved = self.with_engine(|engine| engine.has_unsaved_changes()).unwrap_or(false);
        if !unsaved || self.inner.save_timer.borrow().is_some() {
            return;
        }
        let weak = self.weak();
        let timer = Timeout::new(SAVE_DELAY_MS, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.inner.save_timer.borrow_mut().take();
                client.save_now();
            }
        });
        *self.inner.save_timer.borrow_mut() = Some(timer);
    }

    fn save_now(&self) {
        self.inner.save_timer.borrow_mut().take();
        let storage = &self.inner.storage;
        self.with_engine(|engine| {
            let user_id = engine.identity().user_id.clone();
            if let Some(state) = engine.take_changed_state() {
                storage.save_state(user_id.as_deref(), state);
            }
            if let Some(identity) = engine.take_changed_identity() {
                storage.save_identity(&identity.anonymous_id, identity.user_id.as_deref(), &identity.traits);
            }
        });
    }

    fn schedule_send(&self) {
        let Some(deadline) = self.with_engine(|engine| engine.poll_timeout()).flatten() else {
            self.inner.send_timer.borrow_mut().take();
            return;
        };
        let now = now();
        if deadline <= now {
            self.inner.send_timer.borrow_mut().take();
            self.send_due();
            return;
        }
        if self.inner.send_timer.borrow().as_ref().is_some_and(|(set_for, _)| *set_for <= deadline) {
            return;
        }
        let delay = u32::try_from(deadline.as_millis() - now.as_millis()).unwrap_or(u32::MAX);
        let weak = self.weak();
        let timer = Timeout::new(delay, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.inner.send_timer.borrow_mut().take();
                client.send_due();
                client.schedule_send();
            }
        });
        *self.inner.send_timer.borrow_mut() = Some((deadline, timer));
    }

    /// Sends the batch the outbox says is due, if any; its answer wakes the outbox again.
    fn send_due(&self) {
        let Some(outgoing) = self.with_engine(|engine| engine.poll_transmit(now())).flatten() else { return };
        let client = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let delivery = client.inner.transport.send(&outgoing.batch).await;
            if let Delivery::Refused { status } = delivery {
                warn(&format!(
                    "the collector refused a batch of {} events (HTTP {status})",
                    outgoing.batch.batch.len()
                ));
            }
            client.with_engine(|engine| engine.handle_delivery(outgoing.id, delivery, now()));
            client.after_change();
        });
    }

    /// The page is hidden or being left: save, and send what is queued as beacons.
    fn on_page_hidden(&self) {
        self.save_now();
        self.inner.send_timer.borrow_mut().take();
        let batches = self.with_engine(|engine| engine.drain(now())).unwrap_or_default();
        for batch in &batches {
            self.inner.transport.send_on_exit(batch);
        }
    }

    fn show(&self, decision: Option<Decision>) {
        let Some(Decision { rule_id, experience }) = decision else { return };
        let Experience::Prompt(prompt) = experience else {
            // The engine only decides kinds listed as renderable.
            return;
        };
        let busy = self.inner.opening_prompt.get() || self.inner.ui.borrow().open.is_some();
        if busy {
            self.inner.ui.borrow_mut().waiting.push_back((rule_id, prompt));
            return;
        }
        self.open_prompt(rule_id, prompt);
    }

    fn ui_root(&self) -> Option<Rc<UiRoot>> {
        let mut ui = self.inner.ui.borrow_mut();
        if ui.root.as_ref().is_none_or(|root| !root.is_attached()) {
            match UiRoot::create(&self.inner.document) {
                Ok(root) => ui.root = Some(Rc::new(root)),
                Err(error) => {
                    warn_with("could not create the SDK's shadow root:", &error);
                    return None;
                }
            }
        }
        ui.root.clone()
    }

    /// The reader's locale: the `locale` trait, else the browser's language, else the config's
    /// default.
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

    fn open_prompt(&self, rule_id: String, prompt: Prompt) {
        let Some(root) = self.ui_root() else { return };
        let theme = self.with_engine(|engine| engine.config().map(|config| config.settings.theme.custom_properties()));
        root.apply_theme(&theme.flatten().unwrap_or_default());
        let (locale, default) = self.locale();
        let content = PromptContent {
            title: prompt.title.resolve(&locale, &default).to_owned(),
            body: prompt.body.as_ref().map(|body| body.resolve(&locale, &default).to_owned()),
            buttons: prompt.buttons.iter().map(|button| button.label.resolve(&locale, &default).to_owned()).collect(),
        };
        let weak = self.weak();
        let on_choice = Rc::new(move |choice| {
            if let Some(client) = Client::from_weak(&weak) {
                client.prompt_choice(choice);
            }
        });
        self.inner.opening_prompt.set(true);
        let view = PromptView::open(&self.inner.document, &root, &content, on_choice);
        self.inner.opening_prompt.set(false);
        match view {
            Ok(view) => {
                self.inner.ui.borrow_mut().open = Some(OpenPrompt { rule_id, prompt, _view: view });
            }
            Err(error) => warn_with("could not show a prompt:", &error),
        }
    }

    fn prompt_choice(&self, choice: PromptChoice) {
        let Some(open) = self.inner.ui.borrow_mut().open.take() else { return };
        let (outcome, destination) = match choice {
            PromptChoice::Closed => (Outcome::Dismissed, None),
            PromptChoice::Button(index) => match open.prompt.buttons.get(index).map(|button| &button.action) {
                Some(ButtonAction::Dismiss) => (Outcome::Dismissed, None),
                Some(ButtonAction::Snooze) => (Outcome::Snoozed, None),
                Some(ButtonAction::Navigate(url)) => (Outcome::Clicked { button: index }, Some(url.clone())),
                None => return,
            },
        };
        self.with_engine(|engine| engine.experience_closed(&open.rule_id, outcome, now()));
        // Closing moves focus back into the page, which may run the host's listeners.
        drop(open);
        // A dismissal must survive an immediate reload.
        self.save_now();
        self.after_change();
        if let Some(url) = destination {
            if let Err(error) = self.inner.window.location().assign(&url) {
                warn_with("could not open the prompt's link:", &error);
            }
            return;
        }
        let next = self.inner.ui.borrow_mut().waiting.pop_front();
        if let Some((rule_id, prompt)) = next {
            self.open_prompt(rule_id, prompt);
        }
    }
}
