//! The running SDK: one engine and the browser resources it needs. Every call from the host app,
//! every timer and every answer from the network goes to the engine, then the client performs
//! what the engine asks for: save state, arm the send timer, send batches, show experiences
//! (`experiences`), follow the app's routes (`routing`).
//!
//! The engine is never borrowed across a call into the page: rendering and focus changes run
//! host listeners synchronously, and such a listener may call the SDK again.

mod experiences;
mod outbox;
mod routing;
mod tabs;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use serde_json::{Map, Value};
use uptake_core::config::{CompactError, Config, ExperienceKind, RecencyClass};
use uptake_core::engine::{Decision, Engine, EngineOptions, IdentifyOutcome, sdk_events};
use uptake_core::hash::IdMap;
use uptake_core::iso8601::format_timestamp;
use uptake_core::outbox::{Delivery, OutboxChanges, OutgoingBatch, Role};
use uptake_core::quote::quoted;
use uptake_core::state::OtherParts;
use uptake_core::time::Timestamp;
use web_sys::{Document, VisibilityState, Window};

use crate::console::{warn, warn_with};
use crate::elements::{self, ElementWatch};
use crate::json;
use crate::listener::EventListener;
use crate::local_share::LocalShare;
use crate::locks::HeldLock;
use crate::options::Options;
use crate::storage::Storage;
use crate::tasks;
use crate::transport::Transport;
use crate::ui::TargetSearch;
use crate::{autocapture, context, lifecycle};
use experiences::Ui;

/// How long after a change this tab's part of the state is saved: a burst of events is one
/// write, and the other tabs learn of it a quarter of a second later.
const SAVE_DELAY_MS: u32 = 250;

fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

/// A compiled config's text (fetched, inline or kept from the last page), read.
fn read_compiled_config(text: &str) -> Result<Config, CompactError> {
    json::parse(text).map_or(Err(CompactError::NotAnArray), |value| Config::from_compact(&value))
}

#[derive(Clone)]
pub(crate) struct Client {
    inner: Rc<Inner>,
}

struct Inner {
    window: Window,
    document: Document,
    engine: RefCell<Engine>,
    write_key: String,
    /// The SDK's share of `localStorage`, where there is one.
    share: Option<Rc<LocalShare>>,
    storage: Storage,
    /// This tab's id: its part of the user's state is stored under it (`tabs`).
    tab: RefCell<String>,
    /// This tab's lock, held while it lives; its part is written only once it is.
    tab_lock: RefCell<Option<HeldLock>>,
    /// Whether this tab may write its part (it holds its lock, or there are no Web Locks).
    part_writable: Cell<bool>,
    /// Whether what this tab shows changed since its part was written.
    part_changed: Cell<bool>,
    /// Whether the page was left: its part then says it shows nothing.
    left: Cell<bool>,
    /// What the other tabs and the closed ones stored of this user, as last read.
    others: RefCell<OtherParts>,
    /// Whether the parts of closed tabs are being folded, and when that last began.
    folding: Cell<bool>,
    last_fold: Cell<f64>,
    /// Events this tab copied to `localStorage` ahead of their write to IndexedDB (before it
    /// opened, or as the page was hidden), by id: the copy is deleted once IndexedDB has them.
    written_ahead: RefCell<IdMap<usize>>,
    /// Events being written to `outbox_store`, not committed yet.
    writing: RefCell<Vec<uptake_core::outbox::StoredEvent>>,
    /// Where events wait for the collector (`outbox`); `None` while it opens.
    outbox_store: RefCell<Option<Rc<crate::outbox_store::Backend>>>,
    /// Outbox changes not written to `outbox_store` yet, in order.
    unwritten: RefCell<OutboxChanges>,
    /// Whether the storage task is writing or reading.
    storage_busy: Cell<bool>,
    /// Whether the sender is to read back the events other tabs wrote.
    read_back: Cell<bool>,
    /// The read-back asked for by another tab's copies to `localStorage` (`take_in_events_left`).
    read_back_timer: RefCell<Option<Timeout>>,
    /// Whether this tab knows if it sends the events of its storage.
    role_known: Cell<bool>,
    /// The `flush()` calls this follower passed on to the sending tab, by id, until it answers.
    flushes_passed_on: RefCell<Vec<String>>,
    sharing: RefCell<Option<outbox::Sharing>>,
    transport: Transport,
    /// The timer that wakes the outbox, with the instant it is set for.
    send_timer: RefCell<Option<(Timestamp, Timeout)>>,
    save_timer: RefCell<Option<Timeout>>,
    ui: RefCell<Ui>,
    /// Set while an experience is being opened, when calls may come back in from page listeners.
    opening: Cell<bool>,
    listeners: RefCell<Vec<EventListener>>,
    /// Watches the DOM once a config is loaded: selectors, tour targets.
    element_watch: RefCell<Option<ElementWatch>>,
    /// Whether an invalid selector was reported already.
    warned_selector: Cell<bool>,
    /// `uptake.debug(true)`: log why each rule did or did not fire.
    debug: Cell<bool>,
    /// The experience `?uptake_preview=` asks for, shown once the config is loaded.
    preview: RefCell<Option<String>>,
    /// The route of the last page view, to tell a route change from a same-page update.
    route: RefCell<String>,
    /// Whether the config is being fetched from the collector.
    config_pending: Cell<bool>,
    /// A tour `startTour` asked for before the fetched config arrived, started when it does.
    waiting_tour: RefCell<Option<String>>,
    /// Set while the SDK starts and while it applies a fetched config: the tour and the checklist
    /// are rendered after that work, in tasks of their own (`experiences::render_later`).
    rendering_later: Cell<bool>,
    /// Whether the tour or the checklist changed while `rendering_later` was set.
    render_wanted: Cell<bool>,
    /// The timer of the tour's render, then of the checklist's, after `rendering_later`.
    render_timer: RefCell<Option<Timeout>>,
}

/// The warning for a `startTour` naming a tour the config does not have.
pub(crate) fn warn_no_such_tour(tour_id: &str) {
    warn(&format!("startTour ignored: the config has no tour {}", quoted(tour_id)));
}

/// What `startTour` did.
pub(crate) enum TourStart {
    Started,
    /// The config is being fetched: the tour starts when it arrives, if it has it.
    WaitingForConfig,
    NoSuchTour,
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
    /// the page, and fetches the current config unless one was given. The tour and the checklist
    /// are not rendered until the caller ends the start with `render_later`, once it has also
    /// replayed the queued calls and tracked the first page view.
    pub(crate) fn start(options: Options) -> Result<Client, &'static str> {
        let window = web_sys::window().ok_or("no window: the SDK runs in a browser page")?;
        let document = window.document().ok_or("no document: the SDK runs in a browser page")?;
        // Reading `localStorage` itself throws where storage is blocked.
        let share =
            window.local_storage().ok().flatten().map(|local| Rc::new(LocalShare::new(local, &options.write_key)));
        let storage = Storage::open(share.clone());
        let preview = routing::preview_request(&window);
        let identity = storage.load_identity();
        let mut engine = Engine::new(EngineOptions {
            write_key: Some(options.write_key.clone()),
            outbox: options.outbox,
            seed: random_seed(&window),
            anonymous_id: identity.anonymous_id,
            user_id: identity.user_id.clone(),
            traits: identity.traits,
            renderable: vec![
                ExperienceKind::Prompt,
                ExperienceKind::Tour,
                ExperienceKind::Checklist,
                ExperienceKind::Survey,
            ],
            write_float: json::write_float,
        });
        // Events are written ahead from the first one; whether this tab sends them is decided
        // once storage is open.
        engine.set_outbox_role(Role::Follower);
        let visible = document.visibility_state() != VisibilityState::Hidden;
        engine.set_visible(visible);
        let tab = engine.random_id();
        let client = Client {
            inner: Rc::new(Inner {
                transport: Transport::new(&options.collector),
                window,
                document,
                engine: RefCell::new(engine),
                write_key: options.write_key.clone(),
                share,
                storage,
                tab: RefCell::new(tab),
                tab_lock: RefCell::new(None),
                part_writable: Cell::new(false),
                part_changed: Cell::new(false),
                left: Cell::new(false),
                others: RefCell::new(OtherParts::default()),
                folding: Cell::new(false),
                last_fold: Cell::new(f64::NEG_INFINITY),
                written_ahead: RefCell::new(IdMap::default()),
                writing: RefCell::new(Vec::new()),
                outbox_store: RefCell::new(None),
                unwritten: RefCell::new(OutboxChanges::default()),
                storage_busy: Cell::new(false),
                read_back: Cell::new(false),
                read_back_timer: RefCell::new(None),
                role_known: Cell::new(false),
                flushes_passed_on: RefCell::new(Vec::new()),
                sharing: RefCell::new(None),
                send_timer: RefCell::new(None),
                save_timer: RefCell::new(None),
                ui: RefCell::new(Ui::default()),
                opening: Cell::new(false),
                listeners: RefCell::new(Vec::new()),
                element_watch: RefCell::new(None),
                warned_selector: Cell::new(false),
                debug: Cell::new(false),
                preview: RefCell::new(preview),
                route: RefCell::new(String::new()),
                config_pending: Cell::new(false),
                waiting_tour: RefCell::new(None),
                rendering_later: Cell::new(true),
                render_wanted: Cell::new(false),
                render_timer: RefCell::new(None),
            }),
        };
        client.open_outbox_store();
        client.restore_state(identity.user_id.as_deref());
        client.hold_tab_lock();
        client.set_page_context(&context::page_properties(&client.inner.window));
        *client.inner.route.borrow_mut() = routing::current_route(&client.inner.window);
        match options.config {
            Some(text) => {
                client.apply_config(&text);
            }
            None => {
                if let Some(cached) = client.inner.storage.load_config() {
                    client.apply_cached_config(&cached);
                }
                client.fetch_config(options.config_request);
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
        let (weak, weak_leave, weak_restore) = (self.weak(), self.weak(), self.weak());
        let on_visibility = move |visible| {
            if let Some(client) = Client::from_weak(&weak) {
                client.on_visibility(visible);
            }
        };
        let on_leave = move |entering_cache| {
            if let Some(client) = Client::from_weak(&weak_leave) {
                client.on_page_left(entering_cache);
            }
        };
        let on_restore = move || {
            if let Some(client) = Client::from_weak(&weak_restore) {
                client.on_page_restored();
            }
        };
        let page = lifecycle::Page { on_visibility, on_leave, on_restore };
        lifecycle::listen(&self.inner.window, &self.inner.document, page, &mut listeners);
        listeners.extend(self.listen_to_tabs());
        for (event, online) in [("online", true), ("offline", false)] {
            let weak = self.weak();
            listeners.extend(EventListener::new(&self.inner.window, event, false, move |_| {
                if let Some(client) = Client::from_weak(&weak) {
                    client.on_network_change(online);
                }
            }));
        }
        if !self.inner.window.navigator().on_line() {
            self.with_engine(|engine| engine.set_online(false));
        }
        listeners.extend(routing::listen(&self.inner.window, self.weak()));
        self.inner.listeners.borrow_mut().extend(listeners);
    }

    /// Whether the engine is in use: a call from inside one of its own changes (an event the
    /// SDK caused, handled at once) would find it busy.
    pub(crate) fn is_busy(&self) -> bool {
        self.inner.engine.try_borrow_mut().is_err()
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

    /// Applies a compiled config (inline or fetched); a console warning says why one cannot be
    /// read.
    fn apply_config(&self, text: &str) -> bool {
        match read_compiled_config(text) {
            Ok(config) => {
                self.load_config(config);
                true
            }
            Err(error) => {
                warn_with("the config could not be read; rules are off until it is:", &error.to_string().into());
                false
            }
        }
    }

    /// Applies the config kept from the last page while the current one is fetched. One this
    /// SDK cannot read (kept by an SDK of another release) is dropped without a warning: the
    /// fetched config replaces it.
    fn apply_cached_config(&self, text: &str) {
        match read_compiled_config(text) {
            Ok(config) => self.load_config(config),
            Err(_) => self.inner.storage.forget_config(),
        }
    }

    fn load_config(&self, config: Config) {
        let decision = self.with_engine(|engine| engine.load_config(config, now())).flatten();
        self.show_decisions(decision);
        self.watch_elements();
        if let Some(decision) = self.check_elements() {
            self.show_decisions(decision);
        }
        self.refresh_experiences();
        self.show_preview();
        self.after_change();
    }

    /// Reads the answer to the config's request, which the wrapper sent before the wasm loaded
    /// (`None` when it could not send one).
    fn fetch_config(&self, request: Option<js_sys::Promise>) {
        let client = self.clone();
        self.inner.config_pending.set(true);
        tasks::spawn(async move {
            let answer = match request {
                Some(request) => client.inner.transport.read_config(request).await,
                None => Err(wasm_bindgen::JsValue::from_str("no request for it was sent")),
            };
            // In a task of its own: a request sent early may have its answer already, and
            // applying the config (compiling it, showing what it decides) is not the page's
            // start's work; the SDK is ready for calls before it.
            gloo_timers::future::TimeoutFuture::new(0).await;
            client.inner.rendering_later.set(true);
            match answer {
                Ok(text) => {
                    if client.apply_config(&text) {
                        client.inner.storage.save_config(&text);
                    }
                }
                Err(error) => warn_with("could not fetch the config; using the last one seen:", &error),
            }
            client.inner.config_pending.set(false);
            client.start_waiting_tour();
            client.render_later();
        });
    }

    /// Starts the tour asked for before the config arrived, now that it has (or failed to).
    fn start_waiting_tour(&self) {
        let Some(tour_id) = self.inner.waiting_tour.borrow_mut().take() else { return };
        if !matches!(self.start_tour(&tour_id), TourStart::Started) {
            warn_no_such_tour(&tour_id);
        }
    }

    /// Watches the DOM for the config's selectors and the tour's targets.
    fn watch_elements(&self) {
        let mut watch = self.inner.element_watch.borrow_mut();
        if watch.is_none() {
            let weak = self.weak();
            *watch = ElementWatch::start(&self.inner.document, move || {
                if let Some(client) = Client::from_weak(&weak) {
                    match client.check_elements() {
                        Some(decision) => client.after_decision(decision),
                        None => client.refresh_experiences(),
                    }
                    client.after_change();
                }
            });
        }
    }

    /// Tells the engine which of its selectors are on the page now. `None` when it has none
    /// (nothing was evaluated), else what the evaluation decided, for the caller to show.
    fn check_elements(&self) -> Option<Option<Decision>> {
        let selectors = self.with_engine(|engine| engine.selectors().to_vec())?;
        if selectors.is_empty() {
            return None;
        }
        let search = TargetSearch::new(&self.inner.document);
        let present = elements::present(&search, &selectors, &self.inner.warned_selector);
        self.watch_shadow_roots(&search);
        Some(self.with_engine(|engine| engine.set_elements(&present, now())).flatten())
    }

    /// The first rendered element matching `selector`, in the document or its open shadow
    /// roots; the roots searched are watched from then on, so the element is seen when it
    /// appears there.
    fn find_target(&self, selector: &str) -> Result<Option<web_sys::Element>, wasm_bindgen::JsValue> {
        let search = TargetSearch::new(&self.inner.document);
        let found = search.find(selector);
        self.watch_shadow_roots(&search);
        found
    }

    fn watch_shadow_roots(&self, search: &TargetSearch<'_>) {
        if let Some(watch) = self.inner.element_watch.borrow().as_ref() {
            watch.watch_shadow_roots(search.listed_roots());
        }
    }

    /// Shows what an evaluation decided, and explains the rules when debugging.
    fn show_decisions(&self, decision: Option<Decision>) {
        if self.inner.debug.get() {
            self.log_explanations();
        }
        // One evaluation may bring several experiences (a checklist, a hotspot, a banner).
        let mut next = decision;
        while let Some(decision) = next {
            self.show(decision);
            next = self.with_engine(|engine| engine.next_decision(now())).flatten();
        }
    }

    /// Shows what an evaluation decided and brings the tour and the checklist up to date.
    fn after_decision(&self, decision: Option<Decision>) {
        self.show_decisions(decision);
        self.refresh_experiences();
    }

    pub(crate) fn set_debug(&self, on: bool) {
        self.inner.debug.set(on);
        if on {
            let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
            self.after_decision(decision);
            self.after_change();
        }
    }

    fn log_explanations(&self) {
        let explanations = self.with_engine(|engine| engine.explain(now())).unwrap_or_default();
        if explanations.is_empty() {
            return;
        }
        web_sys::console::group_collapsed_1(&format!("[uptake] {} rules evaluated", explanations.len()).into());
        for explanation in explanations {
            web_sys::console::log_1(&format!("{}: {}", explanation.rule_id, explanation.verdict).into());
        }
        web_sys::console::group_end();
    }

    fn set_page_context(&self, page: &Map<String, Value>) {
        let context = context::event_context(&self.inner.window, page);
        self.with_engine(|engine| engine.set_context(context));
    }

    pub(crate) fn track(&self, name: &str, properties: Map<String, Value>) {
        self.track_at(name, properties, now());
        self.after_change();
    }

    /// Calls of `track` made earlier, in order, each at the time it was made (milliseconds
    /// since the epoch; now when missing).
    pub(crate) fn track_all(&self, calls: impl Iterator<Item = (String, Map<String, Value>, Option<f64>)>) {
        for (name, properties, at) in calls {
            let at = at.filter(|at| at.is_finite()).map_or_else(now, |at| Timestamp::from_millis(at as i64));
            self.track_at(&name, properties, at);
        }
        self.after_change();
    }

    fn track_at(&self, name: &str, properties: Map<String, Value>, at: Timestamp) {
        match self.with_engine(|engine| engine.track(name, properties, at)) {
            Some(Ok(decision)) => self.after_decision(decision),
            Some(Err(error)) => warn(&format!("track ignored: {error}")),
            None => {}
        }
    }

    pub(crate) fn identify(&self, user_id: &str, traits: Map<String, Value>) {
        let outcome = self.with_engine(|engine| engine.identify(user_id, traits, now()));
        match outcome {
            Some(Ok(IdentifyOutcome::SameUser)) | None => {}
            Some(Ok(IdentifyOutcome::Identified)) => {
                // All this tab knew of the visitor is the user's now, saved as its part of the
                // user's state: the visitor's base and this tab's part of it go with it.
                let tab = self.inner.tab.borrow().clone();
                self.inner.storage.remove_part(&tab, None);
                self.inner.storage.discard_base(None);
                self.restore_state(Some(user_id));
                self.save_now();
            }
            Some(Ok(IdentifyOutcome::SwitchedUser { previous_user, previous_state })) => {
                let tab = self.inner.tab.borrow().clone();
                let part = uptake_core::state::TabPart { state: *previous_state, ..Default::default() };
                self.inner.storage.save_part(&tab, Some(&previous_user), &part);
                self.restore_state(Some(user_id));
                self.take_back_own_part(user_id);
                self.save_now();
            }
            Some(Err(error)) => {
                warn(&format!("identify ignored: {error}"));
                return;
            }
        }
        // New traits, perhaps another user: every rule may hold or not now.
        let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
        self.after_decision(decision);
        self.after_change();
    }

    pub(crate) fn group(&self, group_id: &str, traits: Map<String, Value>) {
        match self.with_engine(|engine| engine.group(group_id, traits, now())) {
            Some(Ok(())) => {
                let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
                self.after_decision(decision);
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
        *self.inner.route.borrow_mut() = routing::current_route(&self.inner.window);
        let decision = self.with_engine(|engine| engine.page(name, properties, now())).flatten();
        self.show_decisions(decision);
        if let Some(decision) = self.check_elements() {
            self.show_decisions(decision);
        }
        self.refresh_experiences();
        self.after_change();
    }

    /// The app changed its route without loading a page (pushState, popstate, hashchange): a
    /// page view, unless only the state changed.
    fn route_changed(&self) {
        let route = routing::current_route(&self.inner.window);
        if *self.inner.route.borrow() != route {
            self.page(None, Map::new());
        }
    }

    /// `uptake.startTour(id)`, a prompt's button, a checklist item. While the config is being
    /// fetched, a tour the config does not have yet waits for it (`start_waiting_tour`).
    pub(crate) fn start_tour(&self, tour_id: &str) -> TourStart {
        let started = self.with_engine(|engine| engine.start_tour(tour_id, now())).unwrap_or(false);
        if started {
            self.inner.waiting_tour.borrow_mut().take();
            self.go_to_tour();
            self.refresh_experiences();
            self.after_change();
            TourStart::Started
        } else if self.inner.config_pending.get() {
            *self.inner.waiting_tour.borrow_mut() = Some(tour_id.to_owned());
            TourStart::WaitingForConfig
        } else {
            TourStart::NoSuchTour
        }
    }

    /// The user started a tour whose step is on another page: takes them there, when the step
    /// names one page. (A tour a rule started waits for the user to get there.)
    fn go_to_tour(&self) {
        let Some(path) = self.with_engine(|engine| engine.tour_view().and_then(|view| view.go_to)).flatten() else {
            return;
        };
        self.save_now();
        if let Err(error) = self.inner.window.location().assign(&path) {
            warn_with("could not open the tour's page:", &error);
        }
    }

    /// Sends everything queued; resolves when the collector has answered. A failed send stops
    /// it; the events stay queued and are retried later.
    async fn send_all(&self) {
        while let Some(outgoing) = self.with_engine(|engine| engine.transmit_now(now())).flatten() {
            let delivery = self.deliver(outgoing, false).await;
            if matches!(delivery, Delivery::Retry { .. }) {
                break;
            }
        }
        self.after_change();
    }

    /// Sends one batch and hands the answer to the engine.
    async fn deliver(&self, outgoing: OutgoingBatch, keepalive: bool) -> Delivery {
        let delivery = self.inner.transport.send(&outgoing.body, keepalive, now).await;
        if let Delivery::Refused { status } = delivery {
            warn(&format!("the collector refused a batch of {} events (HTTP {status})", outgoing.events));
        }
        self.with_engine(|engine| engine.handle_delivery(outgoing.id, delivery.clone(), now()));
        delivery
    }

    /// Usage of one feature on this device, for the host app: count, first and last use, days,
    /// whether its entry point was seen, and its frequency class and barrier today.
    pub(crate) fn feature_usage(&self, feature: &str) -> Option<Value> {
        self.with_engine(|engine| {
            let figures = engine.feature_figures(feature, now())?;
            let usage = &figures.usage;
            let date = |at: Option<Timestamp>| at.map_or(Value::Null, |at| Value::from(format_timestamp(at)));
            let mut view = Map::new();
            view.insert("count".to_owned(), Value::from(usage.count));
            view.insert("firstUsed".to_owned(), date(usage.first_used));
            view.insert("lastUsed".to_owned(), date(usage.last_used));
            view.insert("activeDays".to_owned(), Value::from(usage.days.total()));
            view.insert("entrySeen".to_owned(), Value::from(usage.entry_seen_at.is_some()));
            view.insert("frequency".to_owned(), Value::from(figures.frequency.as_str()));
            view.insert("barrier".to_owned(), Value::from(figures.barrier.as_str()));
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
        self.persist_outbox();
        self.schedule_save();
        self.schedule_send();
    }

    fn schedule_save(&self) {
        let unsaved = self.with_engine(|engine| engine.has_unsaved_changes()).unwrap_or(false);
        if !unsaved || self.inner.save_timer.borrow().is_some() {
            return;
        }
        let weak = self.weak();
        let timer = tasks::after(SAVE_DELAY_MS, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.inner.save_timer.borrow_mut().take();
                client.save_now();
            }
        });
        *self.inner.save_timer.borrow_mut() = Some(timer);
    }

    fn save_now(&self) {
        self.inner.save_timer.borrow_mut().take();
        self.save_part();
        let storage = &self.inner.storage;
        self.with_engine(|engine| {
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
        let timer = tasks::after(delay, move || {
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
        tasks::spawn(async move {
            client.deliver(outgoing, false).await;
            client.after_change();
        });
    }

    /// The page was hidden (another tab, a closed window, a page going away) or shown again.
    /// Hidden, it shows nothing new and lets another tab show the tour; what is not stored yet
    /// is written ahead and sent (`on_page_hidden`). Shown, what waited for it is decided now.
    fn on_visibility(&self, visible: bool) {
        self.with_engine(|engine| engine.set_visible(visible));
        if visible {
            let decision = self.with_engine(|engine| engine.evaluate(now())).flatten();
            self.after_decision(decision);
            self.after_change();
        } else {
            self.refresh_experiences();
            self.on_page_hidden();
        }
    }

    /// The page is being left, or goes into the back-forward cache: it shows nothing any more
    /// (its part says so), and what is not stored yet goes now. Into the cache, it also leaves
    /// the tabs' election and gives its lock up, so another page of the app does not evict it
    /// from the cache.
    fn on_page_left(&self, entering_cache: bool) {
        self.leave_screen();
        self.on_page_hidden();
        self.fold_own_part_without_locks();
        if entering_cache {
            self.leave_tabs();
            self.inner.tab_lock.borrow_mut().take();
        }
    }

    /// The page came back from the back-forward cache.
    fn on_page_restored(&self) {
        self.start_new_part();
        self.join_tabs();
    }

    /// The page is hidden or being left: save; write ahead what is not stored yet
    /// (`write_before_leaving`); and send what is queued with requests that outlive the page,
    /// within the browser's budget for them. Their events stay in the outbox until an answer
    /// says they are stored; if the page stays (a hidden tab), the answers settle them as usual.
    fn on_page_hidden(&self) {
        self.save_now();
        self.collect_outbox_changes();
        self.inner.send_timer.borrow_mut().take();
        let left = self.write_before_leaving();
        let batches = self.with_engine(|engine| engine.drain_for_exit(now(), left)).unwrap_or_default();
        for outgoing in batches {
            let client = self.clone();
            tasks::spawn(async move {
                client.deliver(outgoing, true).await;
                client.after_change();
            });
        }
    }

    /// The browser says the network went away or came back.
    fn on_network_change(&self, online: bool) {
        self.with_engine(|engine| engine.set_online(online));
        self.after_change();
    }
}
