//! A stable hash for assignments that must be the same on every device and on the collector:
//! which users of a rule are in its holdout. FNV-1a over the bytes, then murmur3's 64-bit
//! finalizer so that ids differing in one character (`u-1`, `u-2`) land far apart. Not for
//! security.

/// The hash of `parts`, each followed by a zero byte so that ("ab", "c") and ("a", "bc") differ.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(std::iter::once(&0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
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
    fn a_share_of_users_lands_below_it() {
        let below = (0..10_000).filter(|user| stable_unit(&["rule", &format!("user-{user}")]) < 0.2).count();
        assert!((1_800..2_200).contains(&below), "{below} of 10000 below 0.2");
    }
}
