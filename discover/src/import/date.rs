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

/// Month names as Jira writes them in other languages (its CSV follows the exporting user's
/// locale: `27/nov./26`, `27/Okt/26`, `27/ene/26`), mapped to the English ones chrono reads.
const MONTHS: &[(&str, &str)] = &[
    ("janv", "Jan"),
    ("ene", "Jan"),
    ("jän", "Jan"),
    ("gen", "Jan"),
    ("févr", "Feb"),
    ("fév", "Feb"),
    ("fevr", "Feb"),
    ("mars", "Mar"),
    ("mär", "Mar"),
    ("märz", "Mar"),
    ("mrz", "Mar"),
    ("avr", "Apr"),
    ("abr", "Apr"),
    ("mai", "May"),
    ("mag", "May"),
    ("juin", "Jun"),
    ("giu", "Jun"),
    ("juil", "Jul"),
    ("lug", "Jul"),
    ("août", "Aug"),
    ("aout", "Aug"),
    ("ago", "Aug"),
    ("sept", "Sep"),
    ("set", "Sep"),
    ("okt", "Oct"),
    ("ott", "Oct"),
    ("déc", "Dec"),
    ("dez", "Dec"),
    ("dic", "Dec"),
];

/// `27/nov./26 3:04 p. m.` → `27/nov/26 3:04 PM`: localised month names and AM/PM markers in
/// Jira's `d/MMM/yy` dates, in English.
fn delocalise(text: &str) -> Option<String> {
    let mut parts = text.splitn(3, '/');
    let (day, month, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let bare = month.trim_end_matches('.').to_lowercase();
    let english = MONTHS
        .iter()
        .find(|(local, _)| *local == bare)
        .map_or(bare.as_str(), |(_, en)| en);
    let rest = rest
        .replace("a. m.", "AM")
        .replace("p. m.", "PM")
        .replace("a.m.", "AM")
        .replace("p.m.", "PM");
    Some(format!("{day}/{english}/{rest}"))
}

/// Reads one exported date; `None` when it is in none of the known formats.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 80 {
        return None;
    }
    read(text).or_else(|| delocalise(text).and_then(|t| read(&t)))
}

fn read(text: &str) -> Option<DateTime<Utc>> {
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
    fn jira_dates_in_other_locales_are_read() {
        assert_eq!(iso("27/nov./26 3:04 PM"), "2026-11-27T15:04:00+00:00");
        assert_eq!(iso("27/Okt/26 15:04"), "2026-10-27T15:04:00+00:00");
        assert_eq!(iso("03/févr./26 09:00"), "2026-02-03T09:00:00+00:00");
        assert_eq!(iso("27/dic/26 3:04 p. m."), "2026-12-27T15:04:00+00:00");
        assert_eq!(iso("01/Mär/2026 08:15"), "2026-03-01T08:15:00+00:00");
    }

    #[test]
    fn nonsense_is_not_a_date() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("32/Nov/26 3:04 PM"), None);
    }
}
