//! The fulfilment form's results: one `name = value` per line, checked like an executor's outputs.

use runway_exec::{parse_outputs, Output, OutputKind};

/// Parses the fulfilment form's results: one `name = value` per line; `secret:` before a value
/// makes it a secret output, http(s) URLs become links.
pub fn parse_result_lines(text: &str) -> Result<Vec<Output>, String> {
    let mut outputs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: write `name = value`, such as `console_url = https://…`",
                i + 1
            ));
        };
        let value = value.trim();
        let (kind, value) = match value.strip_prefix("secret:") {
            Some(v) => (OutputKind::Secret, v.trim()),
            None if value.starts_with("https://") || value.starts_with("http://") => {
                (OutputKind::Link, value)
            }
            None => (OutputKind::Text, value),
        };
        outputs.push(Output {
            name: name.trim().to_string(),
            label: None,
            value: value.to_string(),
            kind,
        });
    }
    // The same checks as an executor's outputs file.
    let json = serde_json::json!({ "outputs": outputs }).to_string();
    parse_outputs(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_become_outputs() {
        let o = parse_result_lines(
            "console_url = https://console.example/x\n\nrole = reader\npassword = secret: s3cr3t\n",
        )
        .expect("valid");
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].kind, OutputKind::Link);
        assert_eq!(o[1].value, "reader");
        assert_eq!(o[2].kind, OutputKind::Secret);
        assert_eq!(o[2].value, "s3cr3t");
        assert!(parse_result_lines("no equals sign").is_err());
        assert!(parse_result_lines("Bad Name = x").is_err());
    }
}
