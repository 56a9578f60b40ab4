//! Compiling a config into a program: matchers shared by every condition, feature, goal and
//! entry point that names the same event and `where`; sequences shared by conditions with the
//! same steps and gap; retention as the union of what every condition needs; and the wake index.

use crate::config::{
    AllCondition, AnyCondition, Condition, Config, EntryPoint, EventMatch, Goal, NotCondition, OneOrMany,
};
use crate::hash::IdMap;
use crate::time::Duration;
use crate::usage::{EventRetention, SequenceRetention};

use super::condition::{Cond, barrier_bit, recency_bit};
use super::{CompiledRule, EventIndex, FeatureIndex, Matcher, Program, SequenceDef, WakeIndex};

/// The state key of an event and its `where`: the name alone when there is none.
fn matcher_key(event_match: &EventMatch) -> String {
    match event_match.filter() {
        None => event_match.event().to_owned(),
        Some(filter) => format!("{}\u{1f}{}", event_match.event(), filter.text()),
    }
}

/// What a rule's conditions depend on, for the wake index.
#[derive(Default)]
struct Dependencies {
    matchers: Vec<usize>,
    features: Vec<usize>,
    selectors: Vec<usize>,
    model: bool,
}

struct Compiler {
    program: Program,
    matcher_by_key: IdMap<usize>,
    sequence_by_key: IdMap<usize>,
    selector_by_text: IdMap<usize>,
}

fn push_unique(list: &mut Vec<usize>, item: usize) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn one_or_many_mask<T: Copy>(items: &OneOrMany<T>, bit: impl Fn(T) -> u8) -> u8 {
    match items {
        OneOrMany::One(item) => bit(*item),
        OneOrMany::Many(items) => items.iter().fold(0, |mask, item| mask | bit(*item)),
    }
}

impl Compiler {
    fn matcher(&mut self, event_match: &EventMatch) -> usize {
        let key = matcher_key(event_match);
        if let Some(&index) = self.matcher_by_key.get(&key) {
            return index;
        }
        let program = &mut self.program;
        let index = program.matchers.len();
        program.matchers.push(Matcher {
            event: event_match.event().to_owned(),
            filter: event_match.filter().cloned(),
            key: key.clone(),
        });
        let events = &mut program.events;
        let event = *events.index.entry(event_match.event().to_owned()).or_insert_with(|| {
            events.matchers.push(Vec::new());
            events.matchers.len() - 1
        });
        events.matchers[event].push(index);
        program.feature_uses.push(Vec::new());
        program.entry_points.push(Vec::new());
        program.history.push(None);
        program.steps.push(Vec::new());
        program.goals_by_matcher.push(Vec::new());
        program.wake.by_matcher.push(Vec::new());
        self.matcher_by_key.insert(key, index);
        index
    }

    fn selector(&mut self, selector: &str) -> usize {
        if let Some(&index) = self.selector_by_text.get(selector) {
            return index;
        }
        let index = self.program.selectors.len();
        self.program.selectors.push(selector.to_owned());
        self.program.selector_entry_points.push(Vec::new());
        self.program.wake.by_selector.push(Vec::new());
        self.selector_by_text.insert(selector.to_owned(), index);
        index
    }

    fn sequence(&mut self, steps: &[EventMatch], gap: Option<Duration>, retention: SequenceRetention) -> usize {
        let mut matchers = Vec::with_capacity(steps.len());
        for step in steps {
            matchers.push(self.matcher(step));
        }
        let mut key = String::new();
        for (index, step) in steps.iter().enumerate() {
            if index > 0 {
                key.push('\u{1e}');
            }
            key.push_str(&matcher_key(step));
        }
        if let Some(gap) = gap {
            key.push_str(&format!("\u{1d}{}", gap.as_millis()));
        }
        if let Some(&index) = self.sequence_by_key.get(&key) {
            let sequence = &mut self.program.sequences[index];
            sequence.retention = sequence.retention.union(retention);
            return index;
        }
        let index = self.program.sequences.len();
        for (step, &matcher) in matchers.iter().enumerate() {
            self.program.steps[matcher].push((index, step));
        }
        self.program.sequences.push(SequenceDef { steps: matchers, gap, retention, key: key.clone() });
        self.sequence_by_key.insert(key, index);
        index
    }

    fn feature(&self, id: &str) -> usize {
        // The decoder refused configs that refer to unknown features.
        self.program.features.by_id.get(id).copied().unwrap_or(usize::MAX)
    }

    fn conditions(&mut self, conditions: &[Condition], needs: &mut Dependencies) -> Vec<Cond> {
        let mut compiled = Vec::with_capacity(conditions.len());
        for condition in conditions {
            compiled.push(self.condition(condition, needs));
        }
        compiled
    }

    fn condition(&mut self, condition: &Condition, needs: &mut Dependencies) -> Cond {
        match condition {
            Condition::All(AllCondition { all }) => Cond::All(self.conditions(all, needs)),
            Condition::Any(AnyCondition { any }) => Cond::Any(self.conditions(any, needs)),
            Condition::Not(NotCondition { not }) => Cond::Not(Box::new(self.condition(not, needs))),
            Condition::Event(event) => {
                let event_match = match &event.filter {
                    None => EventMatch::Name(event.event.clone()),
                    Some(filter) => EventMatch::Filtered(crate::config::FilteredEvent {
                        event: event.event.clone(),
                        filter: filter.clone(),
                    }),
                };
                let matcher = self.matcher(&event_match);
                let count = event.count.unwrap_or(crate::config::Comparison::at_least(1));
                let (min, max) = count.bounds().unwrap_or((u32::MAX, Some(0)));
                let needed = match event.within {
                    Some(window) => {
                        EventRetention { keep_latest: count.occurrences_needed(), horizon: window.duration() }
                    }
                    None => EventRetention::default(),
                };
                let history = &mut self.program.history[matcher];
                *history = Some(history.map_or(needed, |known| known.union(needed)));
                push_unique(&mut needs.matchers, matcher);
                Cond::EventCount { matcher, min, max, within: event.within }
            }
            Condition::Sequence(sequence) => {
                let count = sequence.count.unwrap_or(crate::config::Comparison::at_least(1));
                let (min, max) = count.bounds().unwrap_or((u32::MAX, Some(0)));
                let retention = SequenceRetention {
                    keep_latest: match sequence.within {
                        Some(_) => count.occurrences_needed(),
                        None => 0,
                    },
                    horizon: sequence.within.map_or(Duration::default(), |window| window.duration()),
                };
                let gap = sequence.gap.map(|gap| gap.duration());
                let index = self.sequence(&sequence.sequence, gap, retention);
                for &matcher in &self.program.sequences[index].steps {
                    push_unique(&mut needs.matchers, matcher);
                }
                Cond::SequenceCount { sequence: index, min, max, within: sequence.within }
            }
            Condition::Feature(feature) => {
                let index = self.feature(&feature.feature);
                push_unique(&mut needs.features, index);
                Cond::FeatureUsed { feature: index, used: feature.used, within: feature.within }
            }
            Condition::Page(page) => Cond::Page(page.page.clone()),
            Condition::Element(element) => {
                let selector = self.selector(&element.element);
                push_unique(&mut needs.selectors, selector);
                Cond::Element(selector)
            }
            Condition::Trait(test) => Cond::UserTrait { name: test.name.clone(), test: test.test.clone() },
            Condition::AccountTrait(test) => Cond::AccountTrait { name: test.name.clone(), test: test.test.clone() },
            Condition::TenureDays(tenure) => Cond::Tenure(tenure.tenure_days),
            Condition::Level(level) => {
                needs.model = true;
                Cond::Level(level.level)
            }
            Condition::Recency(recency) => {
                needs.model = true;
                Cond::Recency(one_or_many_mask(&recency.recency, recency_bit))
            }
            Condition::Depth(depth) => {
                needs.model = true;
                Cond::Depth(depth.depth)
            }
            Condition::Barrier(barrier) => {
                let feature = self.feature(&barrier.barrier.feature);
                push_unique(&mut needs.features, feature);
                Cond::Barrier { feature, accepted: one_or_many_mask(&barrier.barrier.is, barrier_bit) }
            }
        }
    }
}

impl Program {
    /// Compiles a decoded config.
    pub fn compile(config: Config) -> Program {
        let mut features = FeatureIndex::default();
        for (index, feature) in config.features.iter().enumerate() {
            features.by_id.insert(feature.id.clone(), index);
            features.activation.push(feature.activation);
        }
        let feature_count = config.features.len();
        let mut compiler = Compiler {
            program: Program {
                config: crate::config::Config::default(),
                features,
                matchers: Vec::new(),
                events: EventIndex::default(),
                sequences: Vec::new(),
                selectors: Vec::new(),
                rules: Vec::new(),
                wake: WakeIndex { by_feature: vec![Vec::new(); feature_count], ..WakeIndex::default() },
                feature_uses: Vec::new(),
                entry_points: Vec::new(),
                history: Vec::new(),
                steps: Vec::new(),
                selector_entry_points: Vec::new(),
                goals_by_matcher: Vec::new(),
                goals_by_feature: vec![Vec::new(); feature_count],
            },
            matcher_by_key: IdMap::default(),
            sequence_by_key: IdMap::default(),
            selector_by_text: IdMap::default(),
        };
        for (index, feature) in config.features.iter().enumerate() {
            for event in &feature.events {
                let matcher = compiler.matcher(event);
                push_unique(&mut compiler.program.feature_uses[matcher], index);
            }
            match &feature.entry_point {
                Some(EntryPoint::Event(entry)) => {
                    let matcher = compiler.matcher(&entry.event);
                    push_unique(&mut compiler.program.entry_points[matcher], index);
                }
                Some(EntryPoint::Selector(entry)) => {
                    let selector = compiler.selector(&entry.selector);
                    push_unique(&mut compiler.program.selector_entry_points[selector], index);
                }
                None => {}
            }
        }
        let mut prompts: IdMap<usize> = IdMap::default();
        for (index, prompt) in config.prompts.iter().enumerate() {
            prompts.insert(prompt.id.clone(), index);
        }
        for (rule_index, rule) in config.rules.iter().enumerate() {
            let mut needs = Dependencies::default();
            let mut when = compiler.condition(&rule.when, &mut needs);
            let prompt = match &rule.show {
                crate::config::Show::Prompt(id) => {
                    prompts.get(id.as_str()).and_then(|&index| config.prompts.get(index))
                }
                _ => None,
            };
            // A prompt attached to an element shows only when the element is on the page.
            let anchor = prompt.and_then(|prompt| prompt.display.target());
            if let Some(target) = anchor {
                let selector = compiler.selector(target);
                push_unique(&mut needs.selectors, selector);
                when = Cond::All(vec![when, Cond::Element(selector)]);
            }
            let audience = rule.audience.as_ref().map(|audience| compiler.condition(audience, &mut needs));
            let (goal_matcher, goal_feature) = match &rule.goal {
                Some(Goal::Feature(goal)) => (None, Some(compiler.feature(&goal.feature))),
                Some(goal @ Goal::Event(_)) => (goal.event_match().map(|event| compiler.matcher(&event)), None),
                None => (None, None),
            };
            let program = &mut compiler.program;
            if let Some(matcher) = goal_matcher {
                program.goals_by_matcher[matcher].push(rule_index);
            }
            if let Some(feature) = goal_feature.filter(|feature| *feature < feature_count) {
                program.goals_by_feature[feature].push(rule_index);
            }
            for matcher in needs.matchers {
                program.wake.by_matcher[matcher].push(rule_index);
            }
            for feature in needs.features.into_iter().filter(|feature| *feature < feature_count) {
                program.wake.by_feature[feature].push(rule_index);
            }
            for selector in needs.selectors {
                program.wake.by_selector[selector].push(rule_index);
            }
            if needs.model {
                program.wake.model.push(rule_index);
            }
            let ambient = match &rule.show {
                crate::config::Show::Checklist(_) => true,
                crate::config::Show::Prompt(_) => {
                    prompt.is_some_and(|prompt| matches!(prompt.display, crate::config::Display::Hotspot(_)))
                }
                crate::config::Show::Tour(_) | crate::config::Show::Survey(_) => false,
            };
            program.rules.push(CompiledRule { when, audience, ambient });
        }
        let mut program = compiler.program;
        program.config = config;
        program
    }
}
