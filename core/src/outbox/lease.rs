//! Which tab sends, where the browser has no Web Locks: a lease kept in storage every tab reads
//! (`localStorage`), as `<holder> <expiry in ms>`. The holder renews it well before it runs out;
//! any tab takes a lease that ran out, so a closed or frozen tab strands nothing for longer than
//! the lease. Storage has no compare-and-set, so two tabs may both send for a moment: the
//! collector's `messageId` dedupe absorbs the repeat.

use crate::time::{Duration, Timestamp};

/// How long a lease holds without renewal.
pub const LEASE_TERM: Duration = Duration::from_millis(6_000);
/// How often every tab looks at the lease: the holder renews it, the others may take it.
pub const LEASE_CHECK_EVERY: Duration = Duration::from_millis(2_000);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The holding tab's id (no spaces).
    pub holder: String,
    pub expires_at: Timestamp,
}

impl Lease {
    /// The stored form; `None` for anything else, which counts as no lease.
    pub fn parse(text: &str) -> Option<Lease> {
        let (holder, expires) = text.split_once(' ')?;
        let expires_at = Timestamp::from_millis(expires.parse().ok()?);
        (!holder.is_empty()).then(|| Lease { holder: holder.to_owned(), expires_at })
    }

    pub fn to_text(&self) -> String {
        format!("{} {}", self.holder, self.expires_at.as_millis())
    }

    pub fn is_held_by(&self, tab: &str, now: Timestamp) -> bool {
        self.holder == tab && now < self.expires_at
    }
}

/// The lease `tab` should write now: renewed when it holds it, taken when nobody does; `None`
/// while another tab holds it.
pub fn claim(current: Option<&Lease>, tab: &str, now: Timestamp) -> Option<Lease> {
    let free = current.is_none_or(|lease| lease.holder == tab || now >= lease.expires_at);
    free.then(|| Lease { holder: tab.to_owned(), expires_at: now.plus(LEASE_TERM) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn a_free_lease_is_taken_and_renewed_by_its_holder_only() {
        let taken = claim(None, "a", at(0)).unwrap();
        assert_eq!(taken, Lease { holder: "a".into(), expires_at: at(6_000) });
        assert_eq!(claim(Some(&taken), "b", at(5_999)), None, "held by another tab");
        let renewed = claim(Some(&taken), "a", at(2_000)).unwrap();
        assert_eq!(renewed.expires_at, at(8_000));
        assert!(renewed.is_held_by("a", at(7_999)) && !renewed.is_held_by("a", at(8_000)));
        assert!(!renewed.is_held_by("b", at(0)));
    }

    #[test]
    fn a_lease_that_ran_out_is_taken_over() {
        let stale = Lease { holder: "closed-tab".into(), expires_at: at(6_000) };
        assert_eq!(claim(Some(&stale), "b", at(6_000)).map(|lease| lease.holder), Some("b".to_owned()));
    }

    #[test]
    fn the_stored_form_round_trips_and_anything_else_is_no_lease() {
        let lease = Lease { holder: "tab-1".into(), expires_at: at(1_795_000_000_000) };
        assert_eq!(Lease::parse(&lease.to_text()), Some(lease));
        for text in ["", "tab", " 12", "tab twelve", "tab 12 13"] {
            assert_eq!(Lease::parse(text), None, "{text:?}");
        }
    }
}
