//! Writing the history as CSV: one header, one line per request, fields that spreadsheets never
//! run as formulas.

use runway_core::db::requests::RequestRow;

/// The first line of every export.
pub const HEADER: &str = "id,action,requester,team,status,submitted,finished,channel\n";

/// One request as a CSV line, newline included.
pub fn line(r: &RequestRow) -> String {
    let mut line = [
        r.id.to_string(),
        r.action_id.clone(),
        r.requester_name.clone().unwrap_or_default(),
        r.team.clone().unwrap_or_default(),
        r.status.clone(),
        r.created_at.to_rfc3339(),
        r.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        r.channel.clone(),
    ]
    .iter()
    .map(|f| field(f))
    .collect::<Vec<_>>()
    .join(",");
    line.push('\n');
    line
}

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`, `@`,
/// tab or carriage return (OWASP's list: spreadsheets skip the blanks and read what follows as a
/// formula) is prefixed with `'` so spreadsheets never run it as a formula. Requester names come from
/// the identity provider, so any of them can arrive here.
pub fn field(value: &str) -> String {
    let v = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn a_leading_tab_or_carriage_return_is_neutralised_like_a_formula_sign() {
        assert_eq!(field("\t=cmd|' /C calc'!A0"), "'\t=cmd|' /C calc'!A0");
        assert_eq!(
            field("\r=1+1"),
            "\"'\r=1+1\"",
            "quoted too: it holds a line break"
        );
        for sign in ["=", "+", "-", "@"] {
            assert_eq!(field(&format!("{sign}x")), format!("'{sign}x"));
        }
        assert_eq!(field("a\tb"), "a\tb", "only a leading tab matters");
    }
}
