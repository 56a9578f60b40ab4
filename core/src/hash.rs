//! A stable hash for assignments that must be the same on every device and on the collector:
//! which users of a rule are in its holdout. FNV-1a over the bytes, then murmur3's 64-bit
//! finalizer so that ids differing in one character (`u-1`, `u-2`) land far apart. Not for
//! security.
//!
//! The core's tables of ids (`IdMap`) hash with the same finalizer, eight bytes a step: their
//! keys are the config's ids, event names and the SDK's own event ids, none chosen to collide,
//! so they need no random seed, and the wasm needs no SipHash (std's default). An `IdMap` must
//! never be keyed by what a request or another outside party chooses: without a seed, keys made
//! to collide are easy to find, and would make every look-up slow.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from ids to values, hashed with `IdHasher`.
pub type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;

/// The hash of `parts`, each followed by a zero byte so that ("ab", "c") and ("a", "bc") differ.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(std::iter::once(&0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    mix(hash)
}

/// murmur3's 64-bit finalizer: every bit of the input moves about half the bits of the output.
fn mix(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// `IdMap`'s hasher: each write's length, then its bytes eight at a time (a 36-byte event id
/// takes 8 steps where FNV-1a takes 37), `mix` on `finish`.
#[derive(Default)]
pub struct IdHasher(u64);

impl IdHasher {
    fn step(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.step(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            if let Ok(word) = <[u8; 8]>::try_from(word) {
                self.step(u64::from_le_bytes(word));
            }
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            self.step(rest.iter().rev().fold(0, |word, &byte| word << 8 | u64::from(byte)));
        }
    }

    fn finish(&self) -> u64 {
        mix(self.0)
    }
}

/// A point in [0, 1) for `parts`, uniform enough to split an audience by share.
pub fn stable_unit(parts: &[&str]) -> f64 {
    (stable_hash(parts) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_stay_put() {
        // Changing the hash would move users between holdout and treatment.
        assert_eq!(stable_hash(&["suggest-automation", "u-42"]), stable_hash(&["suggest-automation", "u-42"]));
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(format!("{:016x}", stable_hash(&["a"])), KNOWN_HASH_OF_A);
    }

    /// Python: `fnv1a(b"a\\0")` then murmur3 fmix64.
    const KNOWN_HASH_OF_A: &str = "86fc2d0407502de5";

    #[test]
    fn ids_one_character_apart_land_far_apart() {
        let units: Vec<f64> = (1..=9).map(|user| stable_unit(&["suggest-automation", &format!("u-{user}")])).collect();
        let spread = units.iter().cloned().fold(f64::MIN, f64::max) - units.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread > 0.5, "{units:?}");
    }

    #[test]
    fn similar_ids_spread_over_a_hash_tables_buckets_and_tags() {
        // hashbrown picks a bucket by the low bits and tags it with the top 7: both must spread.
        let hashes: Vec<u64> = (0..16_384)
            .map(|n| {
                let mut hasher = IdHasher::default();
                std::hash::Hash::hash(&format!("invoice.approved.{n}"), &mut hasher);
                hasher.finish()
            })
            .collect();
        for (name, bucket) in
            [("low 10 bits", (|hash| hash & 1023) as fn(u64) -> u64), ("top 7 bits", |hash| hash >> 57)]
        {
            let buckets = bucket(u64::MAX) as usize + 1;
            let mut counts = vec![0usize; buckets];
            for &hash in &hashes {
                counts[bucket(hash) as usize] += 1;
            }
            // Pearson's chi-squared against a uniform spread, within 6 standard deviations.
            let expected = hashes.len() as f64 / buckets as f64;
            let chi_squared: f64 = counts.iter().map(|&count| (count as f64 - expected).powi(2) / expected).sum();
            let freedom = (buckets - 1) as f64;
            let limit = freedom + 6.0 * (2.0 * freedom).sqrt();
            assert!(chi_squared < limit, "{name}: chi-squared {chi_squared:.0}, limit {limit:.0}");
        }
    }

    #[test]
    fn an_id_map_finds_its_keys() {
        let mut map = IdMap::default();
        for n in 0..1_000 {
            map.insert(format!("rule-{n}"), n);
        }
        assert!((0..1_000).all(|n| map.get(&format!("rule-{n}")) == Some(&n)));
        assert_eq!(map.get("rule-1000"), None);
    }

    #[test]
    fn a_share_of_users_lands_below_it() {
        let below = (0..10_000).filter(|user| stable_unit(&["rule", &format!("user-{user}")]) < 0.2).count();
        assert!((1_800..2_200).contains(&below), "{below} of 10000 below 0.2");
    }
}
