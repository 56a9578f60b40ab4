//! Per catalog feature, over a set of users: the adoption rate among users active in the last
//! 30 days against the target band of its tier, the mix of frequency classes and of barriers
//! (which says which nudge to use), and how many users ever used it.

use super::users::UserFigures;
use crate::config::{Barrier, FeatureDefinition, Tier};
use crate::model::FrequencyClass;

/// The adoption rate the domain expects of a tier: core 70-90%, advanced 30-50%, specialized
/// 10-30%.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdoptionBand {
    pub low: f64,
    pub high: f64,
}

impl AdoptionBand {
    pub fn of_tier(tier: Tier) -> AdoptionBand {
        let (low, high) = match tier {
            Tier::Core => (0.7, 0.9),
            Tier::Advanced => (0.3, 0.5),
            Tier::Specialized => (0.1, 0.3),
        };
        AdoptionBand { low, high }
    }

    pub fn verdict(self, rate: f64) -> BandVerdict {
        if rate < self.low {
            BandVerdict::Below
        } else if rate > self.high {
            BandVerdict::Above
        } else {
            BandVerdict::Within
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandVerdict {
    Below,
    Within,
    Above,
}

impl BandVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            BandVerdict::Below => "below",
            BandVerdict::Within => "within",
            BandVerdict::Above => "above",
        }
    }
}

/// One feature's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureFigures {
    /// Users active in the last 30 days.
    pub active_users: u32,
    /// Of them, those who used the feature in the last 30 days.
    pub adopters: u32,
    /// `adopters / active_users`; `None` without active users.
    pub adoption_rate: Option<f64>,
    pub band: Option<AdoptionBand>,
    pub verdict: Option<BandVerdict>,
    /// Users active in the last 30 days by frequency class: daily, weekly, monthly, lapsed, never.
    pub frequency_mix: [u32; 5],
    /// Users active in the last 30 days to whom the feature applies, by barrier: unaware, stuck,
    /// unconvinced, none.
    pub barriers: [u32; 4],
    /// Users who ever used it.
    pub users_ever: u32,
}

fn frequency_slot(class: FrequencyClass) -> usize {
    match class {
        FrequencyClass::Daily => 0,
        FrequencyClass::Weekly => 1,
        FrequencyClass::Monthly => 2,
        FrequencyClass::Lapsed => 3,
        FrequencyClass::Never => 4,
    }
}

fn barrier_slot(barrier: Barrier) -> usize {
    match barrier {
        Barrier::Unaware => 0,
        Barrier::Stuck => 1,
        Barrier::Unconvinced => 2,
        Barrier::None => 3,
    }
}

/// The figures of the catalog feature at `index` over `users` (each as of the same day).
pub fn feature_figures<'a>(
    feature: &FeatureDefinition,
    index: usize,
    users: impl IntoIterator<Item = &'a UserFigures>,
) -> FeatureFigures {
    let mut figures = FeatureFigures {
        active_users: 0,
        adopters: 0,
        adoption_rate: None,
        band: feature.category.as_ref().and_then(|category| category.tier).map(AdoptionBand::of_tier),
        verdict: None,
        frequency_mix: [0; 5],
        barriers: [0; 4],
        users_ever: 0,
    };
    for user in users {
        let Some(standing) = user.features.get(index) else { continue };
        if standing.frequency != FrequencyClass::Never {
            figures.users_ever += 1;
        }
        if !user.active_within(super::users::LAST_30_DAYS) {
            continue;
        }
        figures.active_users += 1;
        figures.adopters += u32::from(standing.used_last_30_days);
        figures.frequency_mix[frequency_slot(standing.frequency)] += 1;
        if standing.applicable {
            figures.barriers[barrier_slot(standing.barrier)] += 1;
        }
    }
    if figures.active_users > 0 {
        let rate = f64::from(figures.adopters) / f64::from(figures.active_users);
        figures.adoption_rate = Some(rate);
        figures.verdict = figures.band.map(|band| band.verdict(rate));
    }
    figures
}
