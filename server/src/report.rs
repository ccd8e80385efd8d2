//! `runway report impact [--since 90d] [--json]`: the Impact page's figures on the command line,
//! computed by the same code (`runway_core::impact::compute`) from the configured database. Reads
//! the catalogue files for titles without recording them.

use anyhow::Context;
use runway_core::config::Settings;
use runway_domain::impact::{hours, short_duration as short, ImpactReport};
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The period: requests created in the last N days (`90d`), weeks (`12w`) or days (`90`).
    #[arg(long, default_value = "90d", value_parser = parse_period)]
    pub since: u32,
    /// Print the whole report as JSON (what /impact.json serves).
    #[arg(long)]
    pub json: bool,
}

/// `90d`, `12w` or `90` → days (1 to 3650).
pub fn parse_period(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let (n, unit) = match s.char_indices().last() {
        Some((i, 'd')) => (&s[..i], 1),
        Some((i, 'w')) => (&s[..i], 7),
        _ => (s, 1),
    };
    let days = n
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|d| (1..=3650).contains(d))
        .ok_or_else(|| {
            format!("{s:?} is not a period: use days like 90d, weeks like 12w (up to 3650 days)")
        })?;
    Ok(days)
}

pub async fn impact(settings: Settings, args: ImpactArgs) -> anyhow::Result<()> {
    runway_core::data_dir::prepare(&settings).context("preparing the data directory")?;
    let db = runway_core::db::Db::connect(&settings.effective_database_url(), 2)
        .await
        .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    let rw = runway_core::state::Runway::new(settings, db.clone())
        .map_err(|e| anyhow::anyhow!("secrets_key (RUNWAY_SECRETS_KEY): {e}"))?;
    rw.catalog
        .read_only()
        .await
        .context("reading the catalogue")?;
    let report = runway_core::impact::compute(&rw, args.since, chrono::Utc::now())
        .await
        .context("computing the report")?;
    db.close().await;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(text(&report).as_bytes())?;
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "-".into())
}

/// The report as aligned text tables.
pub fn text(r: &ImpactReport) -> String {
    let h = &r.headline;
    let mut s = format!(
        "Impact, {} to {} ({} days)\n\n{} requests ({} finished) from {} people in {} teams, {} actions used\nmedian lead time {}, success rate {}, ease {}\nwaiting time saved: {}\n\n",
        r.since,
        r.until,
        r.days,
        h.requests,
        h.finished,
        h.people,
        h.teams,
        h.actions_used,
        short(h.lead_median),
        pct(h.success_rate),
        h.ease_mean
            .map(|m| format!("{m:.1}/7 ({} answers)", h.ease_answers))
            .unwrap_or_else(|| "no answers".into()),
        if h.saved_actions > 0 {
            format!("{} over {} action(s)", hours(h.saved_secs), h.saved_actions)
        } else {
            "not enough data".into()
        }
    );
    s.push_str(&format!(
        "{:<24} {:<10} {:>18} {:>18} {:>9} {:>8} {:>22}\n",
        "ACTION",
        "BASELINE",
        "BEFORE MEDIAN/P90",
        "RUNWAY MEDIAN/P90",
        "REQUESTS",
        "SUCCESS",
        "SAVED"
    ));
    for a in &r.actions {
        let b = a.baseline.as_ref();
        let before = match b {
            None => "-".to_string(),
            Some(b) if b.enough() => format!("{}/{}", short(b.median), short(b.p90)),
            Some(_) => "not enough data".into(),
        };
        let after = if a.enough() {
            format!("{}/{}", short(a.lead.median), short(a.lead.p90))
        } else {
            "not enough data".into()
        };
        let saved = match (a.saved_secs, b) {
            (Some(x), _) => hours(x),
            (None, None) => "no baseline".into(),
            (None, Some(_)) => "not enough data".into(),
        };
        s.push_str(&format!(
            "{:<24} {:<10} {:>18} {:>18} {:>9} {:>8} {:>22}\n",
            a.action_id,
            b.map(|b| b.kind.as_str()).unwrap_or("none"),
            before,
            after,
            a.requests,
            pct(a.success_rate),
            saved
        ));
    }
    s.push_str("\nADOPTION (week, teams, people, requests)\n");
    for w in &r.adoption_weeks {
        s.push_str(&format!(
            "{}  {:>4} {:>6} {:>8}\n",
            w.week, w.teams, w.people, w.requests
        ));
    }
    if !r.effort.is_empty() {
        s.push_str("\nEASE (action, answers, mean of 1-7)\n");
        for e in &r.effort {
            s.push_str(&format!(
                "{:<24} {:>7} {:>5}\n",
                e.action_id,
                e.answers,
                e.mean.map(|m| format!("{m:.1}")).unwrap_or_default()
            ));
        }
    }
    for p in &r.pulses {
        s.push_str(&format!("\nPULSE {} ({})\n", p.title, p.cadence));
        for c in &p.cells {
            let means = c
                .means
                .as_ref()
                .map(|m| {
                    m.iter()
                        .map(|v| format!("{v:.1}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| "hidden (fewer than 5 answers)".into());
            s.push_str(&format!(
                "{}  {:<16} {:>3} answered  {means}\n",
                c.opens_at, c.who, c.answered
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_days_or_weeks() {
        assert_eq!(parse_period("90d"), Ok(90));
        assert_eq!(parse_period("12w"), Ok(84));
        assert_eq!(parse_period("30"), Ok(30));
        assert!(parse_period("0d").is_err());
        assert!(parse_period("soon").is_err());
        assert!(parse_period("9999w").is_err());
    }
}
