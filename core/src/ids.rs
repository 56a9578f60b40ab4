//! Identifiers made on the device: UUIDv7 message ids (time-ordered, so the collector's index
//! stays append-mostly and a retry keeps its id) and random UUIDv4 anonymous ids. Randomness
//! comes from a seed the caller draws once from a secure source (`crypto.getRandomValues`).

use crate::time::Timestamp;

/// xoshiro256** seeded by the caller, plus the state that keeps UUIDv7s increasing within a
/// millisecond (RFC 9562, method 1: a 12-bit counter in `rand_a`).
#[derive(Clone, Debug)]
pub struct IdGenerator {
    state: [u64; 4],
    last_millis: i64,
    counter: u16,
}

/// Lowercase hex digits, for ids and the stored state's day bitmaps.
pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

impl IdGenerator {
    /// A generator from 32 random bytes. An all-zero seed (a broken source) is replaced by a
    /// fixed non-zero one, because xoshiro never leaves the zero state.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut state = [0u64; 4];
        for (word, chunk) in state.iter_mut().zip(seed.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *word = u64::from_le_bytes(bytes);
        }
        if state == [0; 4] {
            state = [0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9, 0x94D0_49BB_1331_11EB, 1];
        }
        IdGenerator { state, last_millis: i64::MIN, counter: 0 }
    }

    /// 64 random bits, also for the jitter of retry delays.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A UUIDv7 for an event tracked at `now`. Ids from one generator strictly increase, even
    /// when the clock stands still or steps back.
    pub fn message_id(&mut self, now: Timestamp) -> String {
        let mut millis = now.as_millis().max(0);
        if millis <= self.last_millis {
            millis = self.last_millis;
            if self.counter >= 0x0FFF {
                millis += 1;
                self.counter = (self.next_u64() & 0x01FF) as u16;
            } else {
                self.counter += 1;
            }
        } else {
            // A random start leaves room to count up and keeps ids unguessable.
            self.counter = (self.next_u64() & 0x01FF) as u16;
        }
        self.last_millis = millis;
        let high = ((millis as u64 & 0xFFFF_FFFF_FFFF) << 16) | 0x7000 | u64::from(self.counter);
        let low = (self.next_u64() >> 2) | 0x8000_0000_0000_0000;
        format_uuid(high, low)
    }

    /// A random UUIDv4, for anonymous ids.
    pub fn uuid_v4(&mut self) -> String {
        let high = (self.next_u64() & !0xF000) | 0x4000;
        let low = (self.next_u64() >> 2) | 0x8000_0000_0000_0000;
        format_uuid(high, low)
    }
}

fn format_uuid(high: u64, low: u64) -> String {
    let mut out = String::with_capacity(36);
    for (index, byte) in high.to_be_bytes().into_iter().chain(low.to_be_bytes()).enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0F)]));
    }
    out
}

/// Whether `text` is a UUID in canonical lowercase-or-uppercase hex form.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn generator() -> IdGenerator {
        IdGenerator::from_seed(*b"a seed of thirty-two bytes long!")
    }

    #[test]
    fn message_ids_are_uuid_v7_carrying_the_time() {
        let mut ids = generator();
        let id = ids.message_id(Timestamp::from_millis(0x0190_1234_5678));
        assert!(is_uuid(&id), "{id}");
        assert!(id.starts_with("01901234-5678-7"), "{id}");
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "variant: {id}");
    }

    #[test]
    fn message_ids_strictly_increase_even_when_the_clock_stands_still_or_steps_back() {
        let mut ids = generator();
        let mut previous = String::new();
        for step in 0..10_000 {
            let now = Timestamp::from_millis(1_795_000_000_000 - (step % 7));
            let id = ids.message_id(now);
            assert!(id > previous, "{id} after {previous}");
            previous = id;
        }
    }

    #[test]
    fn ids_do_not_repeat() {
        let mut ids = generator();
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            assert!(seen.insert(ids.uuid_v4()));
        }
    }

    #[test]
    fn anonymous_ids_are_uuid_v4() {
        let id = generator().uuid_v4();
        assert!(is_uuid(&id));
        assert_eq!(id.as_bytes()[14], b'4');
    }

    #[test]
    fn a_zero_seed_still_gives_distinct_ids() {
        let mut ids = IdGenerator::from_seed([0; 32]);
        assert_ne!(ids.uuid_v4(), ids.uuid_v4());
    }
}
