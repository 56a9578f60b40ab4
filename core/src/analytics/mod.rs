//! The figures a PM decides on, as PRODUCT.md defines them, computed by the collector from what
//! it stored with the device's own code: each user's record is built from tagged events
//! (`Program::tag_event`) into the same `UserState` the device keeps, and read with the same
//! model (`crate::model`). On top of it: per user (`users`: level, recency, depth, frequency
//! class and barrier, time to first value), per feature (`features`: adoption rate against its
//! tier's band), per account (`accounts`: breadth, DAU/MAU, trend, health), per campaign
//! (`campaigns`, with `lift`: Newcombe's interval), and over time (`activity`: active users,
//! levels, lifecycle). Every figure is computed "as of" a day, so a PM can look back.

mod accounts;
mod activity;
mod campaigns;
mod features;
mod lift;
mod record;
mod users;

pub use accounts::{AccountFigures, AccountRisk, account_figures};
pub use activity::{ActivityPoint, ActivityTally, Lifecycle, Period, UserActivity, activity, point_days};
pub use campaigns::{ArmFigures, CampaignFigures, campaign_figures};
pub use features::{AdoptionBand, BandVerdict, FeatureFigures, feature_figures};
pub use lift::{Interval, newcombe_difference, wilson};
pub use record::{AccountRecord, UserRecord};
pub use users::{FeatureStanding, UserFigures, user_figures, user_levels};

#[cfg(test)]
mod tests;
