//! Per campaign (a rule with a goal), as of a day: the users exposed in each arm (shown, or
//! eligible and kept in the holdout), those who acted on the experience or dismissed it, and
//! those who reached the goal within its window after their first exposure; the lift of the
//! treatment over the holdout with its 95% interval.

use super::lift::{Interval, newcombe_difference};
use crate::exposure::{RuleExposure, Variant};
use crate::time::{DayNumber, DayOffset, Timestamp};

/// One arm of a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ArmFigures {
    pub exposed: u32,
    /// Users who pressed a button of the experience that does something.
    pub interacted: u32,
    pub dismissed: u32,
    /// Users who reached the goal within its window after their first exposure.
    pub converted: u32,
}

impl ArmFigures {
    /// `converted / exposed`; `None` without exposed users.
    pub fn conversion(&self) -> Option<f64> {
        (self.exposed > 0).then(|| f64::from(self.converted) / f64::from(self.exposed))
    }
}

/// One campaign's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CampaignFigures {
    pub treatment: ArmFigures,
    pub holdout: ArmFigures,
    /// Treatment conversion minus holdout conversion and its 95% interval (Newcombe); `None`
    /// when an arm has no exposed users (a rule without a holdout).
    pub lift: Option<(f64, Interval)>,
}

/// The figures of a rule from its exposures to users (one per user), as of `as_of`.
pub fn campaign_figures<'a>(
    exposures: impl IntoIterator<Item = &'a RuleExposure>,
    as_of: DayNumber,
    offset: DayOffset,
) -> CampaignFigures {
    let by = |at: Option<Timestamp>| at.is_some_and(|at| at.day(offset) <= as_of);
    let mut figures = CampaignFigures::default();
    for exposure in exposures {
        if !by(exposure.first_exposed_at) {
            continue;
        }
        let arm = match exposure.variant {
            Some(Variant::Holdout) => &mut figures.holdout,
            _ => &mut figures.treatment,
        };
        arm.exposed += 1;
        arm.interacted += u32::from(by(exposure.clicked_at));
        arm.dismissed += u32::from(by(exposure.dismissed_at));
        arm.converted += u32::from(by(exposure.goal_reached_at));
    }
    let (treatment, holdout) = (figures.treatment, figures.holdout);
    figures.lift = newcombe_difference(treatment.converted, treatment.exposed, holdout.converted, holdout.exposed);
    figures
}
