//! The date formats ticket systems export: Jira's own (`27/Nov/26 3:04 PM`, `27/Nov/2026 15:04`),
//! ISO 8601 with or without an offset (`2026-11-27T15:04:05.000+0000`), `2026-11-27 15:04`, and
//! the JavaScript `Date` text some exports (Linear) write. Dates without an offset are read as UTC:
//! exports do not say their zone, and an hour's error does not change a ranking.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

const WITH_OFFSET: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%a %b %d %Y %H:%M:%S GMT%z",
];

const NAIVE: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y %H:%M:%S",
    "%d/%b/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
];

/// Reads one exported date; `None` when it is in none of the known formats.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 80 {
        return None;
    }
    // JavaScript's `Date` text ends with the zone's name in brackets, which chrono cannot read.
    let text = match text.find(" (") {
        Some(i) if text.ends_with(')') => &text[..i],
        _ => text,
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for format in WITH_OFFSET {
        if let Ok(d) = DateTime::parse_from_str(text, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for format in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, format) {
            return Some(d.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%d/%b/%y", "%d/%b/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        parse(text).map(|d| d.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn jira_short_dates_with_am_pm_are_read() {
        assert_eq!(iso("27/Nov/26 3:04 PM"), "2026-11-27T15:04:00+00:00");
        assert_eq!(iso("01/Jan/25 12:10 AM"), "2025-01-01T00:10:00+00:00");
    }

    #[test]
    fn jira_long_dates_with_24_hour_times_are_read() {
        assert_eq!(iso("27/Nov/2026 15:04"), "2026-11-27T15:04:00+00:00");
        assert_eq!(iso("27/nov/2026 15:04"), "2026-11-27T15:04:00+00:00");
    }

    #[test]
    fn iso_dates_with_jira_offsets_are_read_in_utc() {
        assert_eq!(
            iso("2026-11-27T15:04:05.000+0000"),
            "2026-11-27T15:04:05+00:00"
        );
        assert_eq!(
            iso("2026-11-27T17:04:05.000+0200"),
            "2026-11-27T15:04:05+00:00"
        );
        assert_eq!(iso("2026-11-27T15:04:05Z"), "2026-11-27T15:04:05+00:00");
        assert_eq!(iso("2026-11-27T15:04:05"), "2026-11-27T15:04:05+00:00");
    }

    #[test]
    fn plain_dates_and_minutes_are_read() {
        assert_eq!(iso("2026-11-27 15:04"), "2026-11-27T15:04:00+00:00");
        assert_eq!(iso("2026-11-27"), "2026-11-27T00:00:00+00:00");
    }

    #[test]
    fn javascript_date_text_is_read() {
        assert_eq!(
            iso("Fri Nov 27 2026 15:04:05 GMT+0000 (Coordinated Universal Time)"),
            "2026-11-27T15:04:05+00:00"
        );
    }

    #[test]
    fn nonsense_is_not_a_date() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("32/Nov/26 3:04 PM"), None);
    }
}
