//! Confidence intervals for a campaign: Wilson's score interval of a proportion, and the
//! difference of two proportions by Newcombe's hybrid score method (method 10 of Newcombe,
//! 1998), which combines the two Wilson intervals and keeps its coverage near 95% for small
//! groups and for proportions near 0 or 1, where the textbook Wald interval fails.

/// The normal quantile of a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// A 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether 0 lies outside the interval: the difference is significant at 5%.
    pub fn excludes_zero(self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// Wilson's 95% score interval of `successes` out of `trials`; `None` without trials.
pub fn wilson(successes: u32, trials: u32) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = f64::from(trials);
    let p = f64::from(successes) / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(Interval { low: (center - half).max(0.0), high: (center + half).min(1.0) })
}

/// The difference `p1 - p2` of two proportions, with its 95% interval by Newcombe's hybrid
/// score method; `None` when a group is empty.
pub fn newcombe_difference(successes1: u32, trials1: u32, successes2: u32, trials2: u32) -> Option<(f64, Interval)> {
    let first = wilson(successes1, trials1)?;
    let second = wilson(successes2, trials2)?;
    let p1 = f64::from(successes1) / f64::from(trials1);
    let p2 = f64::from(successes2) / f64::from(trials2);
    let difference = p1 - p2;
    let low = difference - ((p1 - first.low).powi(2) + (second.high - p2).powi(2)).sqrt();
    let high = difference + ((first.high - p1).powi(2) + (p2 - second.low).powi(2)).sqrt();
    Some((difference, Interval { low, high }))
}
