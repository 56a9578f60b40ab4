//! The generator's randomness: SplitMix64, written out here rather than taken from a crate so
//! that a history is the same bytes for the same arguments whatever crate versions the build
//! resolves (a library's distributions may change between releases; these few lines do not).
//! Every account and every user draws from a stream of its own, derived from the seed and its
//! index, so what one user does never depends on what another did, nor on the order in which
//! threads simulate them.

/// What a stream of numbers is for: the same index draws different numbers for each purpose.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// An account's profile: trend, creation day, size.
    Account = 1,
    /// Which account a user belongs to.
    Membership = 2,
    /// A user's profile: persona, role, sign-up day.
    UserProfile = 3,
    /// What a user does day by day, and their device's seed.
    Behaviour = 4,
}

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct Random {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut value: u64) -> u64 {
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

impl Random {
    /// The stream of `purpose` for the account or user `index`, under `seed`.
    pub fn stream(seed: u64, purpose: Stream, index: u64) -> Random {
        let purpose = purpose as u64;
        Random { state: mix(mix(seed ^ mix(purpose.wrapping_mul(GOLDEN_GAMMA))).wrapping_add(mix(index))) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits: every value a double holds exactly in [0, 1).
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `probability` (never below 0, always above 1).
    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// A whole number in `low..=high` (`low` when the range is empty).
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        if high <= low {
            return low;
        }
        let span = u64::from(high - low) + 1;
        // Lemire's multiply-shift: the bias for spans this small is far below anything a
        // history could show.
        let offset = (u128::from(self.next_u64()) * u128::from(span)) >> 64;
        low + u32::try_from(offset).unwrap_or(0)
    }

    /// One of `choices`, each with its weight; the last when the weights add up to less than
    /// the draw (rounding).
    pub fn weighted<T: Copy>(&mut self, choices: &[(T, f64)]) -> Option<T> {
        let total: f64 = choices.iter().map(|(_, weight)| weight).sum();
        let mut draw = self.unit() * total;
        for (choice, weight) in choices {
            if draw < *weight {
                return Some(*choice);
            }
            draw -= weight;
        }
        choices.last().map(|(choice, _)| *choice)
    }

    /// 32 bytes, for a device's seed (its message and anonymous ids).
    pub fn seed_bytes(&mut self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_stream_draws_the_same_numbers_and_others_differ() {
        let draws = |seed, purpose, index| {
            let mut random = Random::stream(seed, purpose, index);
            (0..4).map(|_| random.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7, Stream::Behaviour, 3), draws(7, Stream::Behaviour, 3));
        assert_ne!(draws(7, Stream::Behaviour, 3), draws(8, Stream::Behaviour, 3));
        assert_ne!(draws(7, Stream::Behaviour, 3), draws(7, Stream::Behaviour, 4));
        assert_ne!(draws(7, Stream::Behaviour, 3), draws(7, Stream::UserProfile, 3));
    }

    #[test]
    fn the_draws_stay_within_their_ranges() {
        let mut random = Random::stream(1, Stream::Account, 0);
        for _ in 0..10_000 {
            let unit = random.unit();
            assert!((0.0..1.0).contains(&unit));
            assert!((3..=9).contains(&random.between(3, 9)));
        }
        assert_eq!(random.between(5, 5), 5);
        assert_eq!(random.between(5, 2), 5);
        assert_eq!(random.weighted::<u8>(&[]), None);
        assert_eq!(random.weighted(&[('a', 0.0), ('b', 1.0)]), Some('b'));
    }

    #[test]
    fn a_chance_comes_up_about_as_often_as_it_says() {
        let mut random = Random::stream(42, Stream::Behaviour, 9);
        let hits = (0..100_000).filter(|_| random.chance(0.3)).count();
        assert!((29_000..31_000).contains(&hits), "{hits}");
    }
}
