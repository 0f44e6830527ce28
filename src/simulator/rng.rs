//! Deterministic pseudo-randomness: every generated value is a pure function
//! of the seed and the coordinates of what it describes, so the data of one
//! tenant or one alert can be produced on its own, in any order.

/// The splitmix64 finalizer: a fast, well-mixed 64-bit hash step.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small stream of pseudo-random numbers keyed by a list of coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A stream for the given coordinates (seed, tenant, alert, purpose, ...).
    pub(crate) fn new(keys: &[u64]) -> Self {
        let state = keys
            .iter()
            .fold(0x005e_ed0f_defe_4de4_u64, |acc, k| mix(acc ^ mix(*k)));
        Rng { state }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// A float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether an event of probability `p` happens.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An integer in `[low, high]` (returns `low` when the range is empty).
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as i64
    }

    /// An index below `len` (0 when `len` is 0).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        (self.next_u64() % len as u64) as usize
    }

    /// Picks an item by weight; `items` must not be empty.
    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut pick = if total == 0 {
            0
        } else {
            self.next_u64() % total
        };
        for (item, weight) in items {
            if pick < u64::from(*weight) {
                return item;
            }
            pick -= u64::from(*weight);
        }
        &items[items.len() - 1].0
    }

    /// `n` lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n);
        while out.len() < n {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(n);
        out
    }

    /// A GUID-shaped string (version-4 layout).
    pub(crate) fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Hashes a string into a coordinate for [`Rng::new`].
pub(crate) fn key_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_keys_same_stream() {
        let mut a = Rng::new(&[1, 2, 3]);
        let mut b = Rng::new(&[1, 2, 3]);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(
            Rng::new(&[1, 2, 4]).next_u64(),
            Rng::new(&[1, 2, 3]).next_u64()
        );
        let guid = a.guid();
        assert_eq!(guid.len(), 36);
        assert_eq!(&guid[14..15], "4");
    }

    #[test]
    fn ranges_stay_inside() {
        let mut rng = Rng::new(&[9]);
        for _ in 0..1000 {
            let v = rng.range(-3, 3);
            assert!((-3..=3).contains(&v));
            assert!(rng.unit() < 1.0);
        }
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.index(0), 0);
    }
}
