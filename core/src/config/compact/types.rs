//! The compiled form of each config type: the order its fields are written in and the tags of
//! its variants. Changing either changes the format: bump `COMPACT_FORMAT` with it.

use serde_json::Value;

use super::{Compact, Reader, Writer, compact_enum, compact_struct};
use crate::config::{
    AccountTraitCondition, Advance, AllCondition, Anchor, AnyCondition, Badge, Barrier, BarrierCondition, BarrierTest,
    ButtonAction, Category, Checklist, ChecklistItem, Comparison, Condition, DateBound, DepthCondition, Display, Edge,
    ElementCondition, EntryPoint, EventCondition, EventEntryPoint, EventGoal, EventMatch, FeatureCondition,
    FeatureDefinition, FeatureGoal, FilteredEvent, Frequency, Goal, HotspotDisplay, Impact, LevelCondition,
    MissingTarget, MissingThen, ModelSettings, NotCondition, OneOrMany, PageCondition, Placement, Prompt, PromptButton,
    PropertyFilter, RecencyClass, RecencyCondition, Rule, Scalar, SelectorEntryPoint, SequenceCondition, Settings,
    Show, StopWhen, Survey, SurveyKind, TenureCondition, Text, Theme, Throttle, Tier, Tour, TourStep, TraitCondition,
    ValueOperators, ValueTest,
};
use crate::time::Timestamp;

compact_struct!(Settings { day_offset_minutes, throttle, default_locale, theme, model });
compact_struct!(Throttle { per_page_view, per_day });
compact_struct!(Theme { accent, accent_text, surface, text, muted, radius, font, z_index });
compact_struct!(ModelSettings {
    depth_window_days,
    active_within_days,
    dormant_after_days,
    daily_min_days,
    weekly_min_weeks,
    unconvinced_after_days,
    regular_min_weeks,
    habit_min_days_per_week,
    advanced_depth,
    power_depth,
});

compact_struct!(FeatureDefinition { id, name, events, activation, category, roles, plans, entry_point });
compact_enum!(EventMatch { ; 0 Name, 1 Filtered });
compact_struct!(FilteredEvent { event, filter });
compact_struct!(Category { tier, impact });
compact_enum!(Tier { 0 Core, 1 Advanced, 2 Specialized; });
compact_enum!(Impact { 0 Value, 1 Sticky, 2 Expansion, 3 Differentiator; });
compact_enum!(EntryPoint { ; 0 Event, 1 Selector });
compact_struct!(EventEntryPoint { event });
compact_struct!(SelectorEntryPoint { selector });

compact_struct!(Rule { id, when, audience, show, frequency, goal, holdout, priority });
compact_enum!(Show { ; 0 Prompt, 1 Tour, 2 Checklist, 3 Survey });
compact_struct!(Frequency { max_shows, min_interval, stop_when, snooze });
compact_enum!(StopWhen { 0 Dismissed, 1 Clicked, 2 GoalReached; });
compact_enum!(Goal { ; 0 Feature, 1 Event });
compact_struct!(FeatureGoal { feature, within });
compact_struct!(EventGoal { event, filter, within });

compact_enum!(Condition {
    ;
    0 All,
    1 Any,
    2 Not,
    3 Event,
    4 Sequence,
    5 Feature,
    6 Page,
    7 Element,
    8 Trait,
    9 AccountTrait,
    10 TenureDays,
    11 Level,
    12 Recency,
    13 Depth,
    14 Barrier,
});
compact_struct!(AllCondition { all });
compact_struct!(AnyCondition { any });
compact_struct!(NotCondition { not });
compact_struct!(EventCondition { event, filter, count, within });
compact_struct!(SequenceCondition { sequence, gap, count, within });
compact_struct!(FeatureCondition { feature, used, within });
compact_struct!(PageCondition { page });
compact_struct!(ElementCondition { element });
compact_struct!(TraitCondition { name, test });
compact_struct!(AccountTraitCondition { name, test });
compact_struct!(TenureCondition { tenure_days });
compact_struct!(LevelCondition { level });
compact_struct!(RecencyCondition { recency });
compact_enum!(RecencyClass { 0 New, 1 Active, 2 AtRisk, 3 Dormant; });
compact_struct!(DepthCondition { depth });
compact_struct!(BarrierCondition { barrier });
compact_struct!(BarrierTest { feature, is });
compact_enum!(Barrier { 0 Unaware, 1 Stuck, 2 Unconvinced, 3 None; });

compact_struct!(ValueOperators { eq, ne, one_of, not_in, gt, gte, lt, lte, before, after, exists });
compact_enum!(ValueTest { ; 0 Equals, 1 Operators });

compact_struct!(Prompt { id, title, body, buttons, display });
compact_struct!(PromptButton { label, action });
compact_enum!(ButtonAction { 0 Dismiss, 1 Snooze; 2 Navigate, 3 Tour });
compact_enum!(Display { 0 Modal; 1 Banner, 2 Tooltip, 3 Hotspot });
compact_enum!(Edge { 0 Top, 1 Bottom; });
compact_struct!(Anchor { target, placement });
compact_struct!(HotspotDisplay { target, badge, placement });
compact_enum!(Badge { 0 Dot, 1 New; });
compact_enum!(Text { ; 0 Plain, 1 Localized });

compact_struct!(Tour { id, steps, missing_target, spotlight });
compact_struct!(TourStep { target, title, body, placement, advance, missing_target, spotlight, page });
compact_enum!(Placement { 0 Auto, 1 Top, 2 Bottom, 3 Left, 4 Right; });
compact_enum!(Advance { 0 Next, 1 Click; 2 Event, 3 Page });
compact_struct!(MissingTarget { wait, then });
compact_enum!(MissingThen { 0 Skip, 1 Centered, 2 Abort; });

compact_struct!(Checklist { id, title, items });
compact_struct!(ChecklistItem { id, label, feature, tour });
compact_struct!(Survey { id, kind, question, choices, follow_up });
compact_enum!(SurveyKind { 0 Nps, 1 Csat, 2 Choice; });

impl<T: Compact> Compact for Comparison<T> {
    const MAY_START_WITH_NULL: bool = true;

    fn write(&self, out: &mut Writer) {
        self.gte.write(out);
        self.gt.write(out);
        self.lte.write(out);
        self.lt.write(out);
        self.eq.write(out);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        Some(Comparison {
            gte: Compact::read(input)?,
            gt: Compact::read(input)?,
            lte: Compact::read(input)?,
            lt: Compact::read(input)?,
            eq: Compact::read(input)?,
        })
    }
}

impl<T: Compact> Compact for OneOrMany<T> {
    fn write(&self, out: &mut Writer) {
        match self {
            OneOrMany::One(value) => {
                out.push(0);
                value.write(out);
            }
            OneOrMany::Many(values) => {
                out.push(1);
                values.write(out);
            }
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        match input.tag()? {
            0 => T::read(input).map(OneOrMany::One),
            1 => Vec::read(input).map(OneOrMany::Many),
            _ => None,
        }
    }
}

/// A filter is written with its text, which the SDK then need not write itself (see
/// `PropertyFilter::text`).
impl Compact for PropertyFilter {
    fn write(&self, out: &mut Writer) {
        out.push(self.text());
        self.tests().write(out);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        let text = String::read(input)?;
        Some(PropertyFilter::compiled(Compact::read(input)?, text))
    }
}

/// A scalar is written as the JSON value it is.
impl Compact for Scalar {
    fn write(&self, out: &mut Writer) {
        match self {
            Scalar::Bool(value) => out.push(*value),
            Scalar::Number(value) => out.push(*value),
            Scalar::Text(value) => out.push(value.as_str()),
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        match input.next()? {
            Value::Bool(value) => Some(Scalar::Bool(*value)),
            Value::Number(value) => value.as_f64().map(Scalar::Number),
            Value::String(value) => Some(Scalar::Text(value.clone())),
            _ => None,
        }
    }
}

impl Compact for DateBound {
    fn write(&self, out: &mut Writer) {
        match self {
            DateBound::At(instant) => {
                out.push(0);
                instant.write(out);
            }
            DateBound::FromNow { offset_ms } => {
                out.push(1);
                offset_ms.write(out);
            }
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        match input.tag()? {
            0 => Timestamp::read(input).map(DateBound::At),
            1 => i64::read(input).map(|offset_ms| DateBound::FromNow { offset_ms }),
            _ => None,
        }
    }
}
