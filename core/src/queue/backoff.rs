//! Retry delays: exponential backoff with jitter.

/// The delay before retry number `failures` (1 = after the first failed attempt): `base * 2^(n-1)`
/// capped at `max`, then jittered uniformly into `[d/2, d]` so that jobs failing together do not
/// retry in lock-step.
pub fn delay_ms(failures: i64, base_ms: i64, max_ms: i64) -> i64 {
    let (lo, hi) = bounds_ms(failures, base_ms, max_ms);
    if hi <= lo {
        return hi;
    }
    fastrand::i64(lo..=hi)
}

/// The range [`delay_ms`] draws from.
pub fn bounds_ms(failures: i64, base_ms: i64, max_ms: i64) -> (i64, i64) {
    let exp = u32::try_from(failures.clamp(1, 63) - 1).unwrap_or(0);
    let d = base_ms
        .max(0)
        .saturating_mul(2_i64.saturating_pow(exp))
        .min(max_ms.max(0));
    (d / 2, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_until_the_cap() {
        assert_eq!(bounds_ms(1, 1_000, 60_000), (500, 1_000));
        assert_eq!(bounds_ms(2, 1_000, 60_000), (1_000, 2_000));
        assert_eq!(bounds_ms(4, 1_000, 60_000), (4_000, 8_000));
        assert_eq!(bounds_ms(30, 1_000, 60_000), (30_000, 60_000));
        assert_eq!(
            bounds_ms(1_000, 1_000, 60_000),
            (30_000, 60_000),
            "no overflow for absurd counts"
        );
    }

    #[test]
    fn jitter_stays_within_bounds_and_varies() {
        let samples: Vec<i64> = (0..2_000).map(|_| delay_ms(3, 1_000, 60_000)).collect();
        assert!(samples.iter().all(|d| (2_000..=4_000).contains(d)));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 100, "jittered, not constant");
    }
}
