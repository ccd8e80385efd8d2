//! Human-friendly durations used by catalogue files (`timeout: 15m`, `estimate: 2h`).
//!
//! The catalogue is written by people, so durations are written the way people write them: one or more
//! `<number><unit>` pairs with units `s`, `m`, `h` and `d` (`90s`, `1h30m`, `2d`). Stored as whole
//! seconds; displayed in words ("about 2 minutes").

use serde::{Deserialize, Serialize};
use std::fmt;

/// A span of time in whole seconds, parsed from text such as `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HumanDuration(u64);

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found an empty value")]
    Empty,
    #[error("expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `{0}`")]
    Malformed(String),
    #[error("duration `{0}` is too large")]
    Overflow(String),
}

impl HumanDuration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Parses `90s`, `15m`, `1h30m`, `2d` (units may repeat in descending order; spaces allowed).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DurationError::Empty);
        }
        let malformed = || DurationError::Malformed(trimmed.to_string());
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut seen_unit = false;
        for ch in trimmed.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
            } else if ch == ' ' {
                continue;
            } else {
                let factor = match ch {
                    's' => 1,
                    'm' => 60,
                    'h' => 3_600,
                    'd' => 86_400,
                    _ => return Err(malformed()),
                };
                if digits.is_empty() {
                    return Err(malformed());
                }
                let n: u64 = digits
                    .parse()
                    .map_err(|_| DurationError::Overflow(trimmed.to_string()))?;
                total = n
                    .checked_mul(factor)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(|| DurationError::Overflow(trimmed.to_string()))?;
                digits.clear();
                seen_unit = true;
            }
        }
        if !digits.is_empty() || !seen_unit {
            return Err(malformed());
        }
        Ok(Self(total))
    }

    /// "about 2 minutes", "about 1 hour", "about 45 seconds": for estimates shown to developers.
    pub fn in_words(self) -> String {
        let s = self.0;
        let (n, unit) = if s < 60 {
            (s, "second")
        } else if s < 55 * 60 {
            ((s + 30) / 60, "minute")
        } else if s < 36 * 3_600 {
            ((s + 1_800) / 3_600, "hour")
        } else {
            ((s + 43_200) / 86_400, "day")
        };
        format!("about {n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

impl fmt::Display for HumanDuration {
    /// The canonical compact form, e.g. `1h30m`; `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// How long something took, for people: `300ms` below a second, `2.5s` below a minute when there
/// are fractions, otherwise the compact form (`1h30m`).
pub fn elapsed(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() != 0 && d < std::time::Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        HumanDuration::from_secs(d.as_secs()).to_string()
    }
}

/// Serde for settings that hold a [`std::time::Duration`] written as text (`kill_grace = "5s"`):
/// the text is parsed once, when the settings are read, and a bad value is an error of that key
/// (`#[serde(with = "runway_domain::duration::text")]`). Written back in the compact form (`1h30m`).
pub mod text {
    use super::HumanDuration;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&HumanDuration::from_secs(value.as_secs()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        HumanDuration::parse(&text)
            .map(|d| Duration::from_secs(d.as_secs()))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_well_at_every_scale() {
        use std::time::Duration;
        assert_eq!(elapsed(Duration::from_millis(300)), "300ms");
        assert_eq!(elapsed(Duration::from_millis(2_500)), "2.5s");
        assert_eq!(elapsed(Duration::from_secs(42)), "42s");
        assert_eq!(elapsed(Duration::from_secs(5_400)), "1h30m");
        assert_eq!(elapsed(Duration::from_millis(90_400)), "1m30s");
    }

    #[test]
    fn settings_durations_are_read_from_text_once_and_written_back_compact() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct S {
            #[serde(with = "text")]
            grace: std::time::Duration,
        }
        let s: S = serde_json::from_str(r#"{"grace": "1m30s"}"#).expect("valid");
        assert_eq!(s.grace, std::time::Duration::from_secs(90));
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some(r#"{"grace":"1m30s"}"#)
        );
        let bad = serde_json::from_str::<S>(r#"{"grace": "soon"}"#)
            .err()
            .map(|e| e.to_string());
        assert!(bad.is_some_and(|e| e.contains("expected a duration such as `30s`")));
    }

    #[test]
    fn parses_single_and_compound_units() {
        assert_eq!(
            HumanDuration::parse("90s").map(HumanDuration::as_secs),
            Ok(90)
        );
        assert_eq!(
            HumanDuration::parse("15m").map(HumanDuration::as_secs),
            Ok(900)
        );
        assert_eq!(
            HumanDuration::parse("1h30m").map(HumanDuration::as_secs),
            Ok(5_400)
        );
        assert_eq!(
            HumanDuration::parse(" 2d ").map(HumanDuration::as_secs),
            Ok(172_800)
        );
        assert_eq!(
            HumanDuration::parse("1h 5s").map(HumanDuration::as_secs),
            Ok(3_605)
        );
    }

    #[test]
    fn rejects_malformed_text_with_the_value_in_the_message() {
        for bad in ["10", "m", "1x", "ten minutes", "-5m", "1.5h"] {
            let err = HumanDuration::parse(bad).err();
            assert!(
                matches!(err, Some(DurationError::Malformed(ref v)) if v == bad.trim()),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(HumanDuration::parse("  "), Err(DurationError::Empty));
        assert!(matches!(
            HumanDuration::parse("99999999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn displays_canonically_and_in_words() {
        assert_eq!(HumanDuration::from_secs(5_400).to_string(), "1h30m");
        assert_eq!(HumanDuration::from_secs(0).to_string(), "0s");
        assert_eq!(HumanDuration::from_secs(45).in_words(), "about 45 seconds");
        assert_eq!(HumanDuration::from_secs(120).in_words(), "about 2 minutes");
        assert_eq!(HumanDuration::from_secs(60).in_words(), "about 1 minute");
        assert_eq!(HumanDuration::from_secs(3_600).in_words(), "about 1 hour");
        assert_eq!(
            HumanDuration::from_secs(3 * 86_400).in_words(),
            "about 3 days"
        );
    }
}
