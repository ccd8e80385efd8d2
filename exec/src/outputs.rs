//! What a run reports back: [`Output`] values, links and secrets, read from a script's outputs file
//! or a webhook's answer by [`parse_outputs`], which checks every name and value.

use serde::{Deserialize, Serialize};

/// What kind of value an output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Plain text (shown as is; multi-line values such as certificates in a code block).
    #[default]
    Text,
    /// A URL, rendered as a link (http and https only).
    Link,
    /// Shown only to the requester, once; encrypted at rest and deleted after it was shown.
    Secret,
}

/// One result a run reports: `{"name": "clone_url", "label": "Clone URL", "value": "...",
/// "kind": "link"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    pub value: String,
    #[serde(default)]
    pub kind: OutputKind,
}

/// Most outputs one run may report, and the largest value (a certificate chain fits easily).
pub const MAX_OUTPUTS: usize = 50;
pub const MAX_OUTPUT_VALUE_BYTES: usize = 64 * 1024;

/// Parses the outputs file a script wrote (or a webhook's answer): `{"outputs": [Output, ...]}`.
/// Names are snake_case identifiers of at most 48 characters, unique; links must be http(s).
pub fn parse_outputs(json: &str) -> Result<Vec<Output>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        outputs: Vec<Output>,
    }
    let file: File = serde_json::from_str(json).map_err(|e| {
        format!("the outputs file is not valid: {e} (expected {{\"outputs\": [{{\"name\": ..., \"value\": ..., \"kind\": \"text\"|\"link\"|\"secret\"}}]}})")
    })?;
    if file.outputs.len() > MAX_OUTPUTS {
        return Err(format!(
            "the outputs file lists {} outputs; at most {MAX_OUTPUTS} are kept",
            file.outputs.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in &file.outputs {
        let ok_name = !o.name.is_empty()
            && o.name.len() <= 48
            && o.name.starts_with(|c: char| c.is_ascii_lowercase())
            && o.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_name {
            return Err(format!(
                "output name `{}` must be snake_case (a-z, 0-9, _), starting with a letter, at most 48 characters",
                o.name
            ));
        }
        if !seen.insert(o.name.clone()) {
            return Err(format!("output `{}` is listed twice", o.name));
        }
        if o.value.len() > MAX_OUTPUT_VALUE_BYTES {
            return Err(format!(
                "output `{}` is larger than {MAX_OUTPUT_VALUE_BYTES} bytes",
                o.name
            ));
        }
        if o.kind == OutputKind::Link
            && !(o.value.starts_with("https://") || o.value.starts_with("http://"))
        {
            return Err(format!(
                "output `{}` is a link but its value is not an http(s) URL",
                o.name
            ));
        }
    }
    Ok(file.outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_files_are_checked() {
        let ok = parse_outputs(
            r#"{"outputs": [{"name": "clone_url", "value": "https://x/y", "kind": "link"},
                             {"name": "password", "value": "s3cret", "kind": "secret"},
                             {"name": "note", "value": "hi"}]}"#,
        )
        .expect("valid");
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[2].kind, OutputKind::Text);
        assert!(parse_outputs("not json").is_err());
        assert!(parse_outputs(r#"{"outputs": [{"name": "Bad-Name", "value": "x"}]}"#).is_err());
        assert!(parse_outputs(
            r#"{"outputs": [{"name": "a", "value": "x"}, {"name": "a", "value": "y"}]}"#
        )
        .is_err());
        assert!(parse_outputs(
            r#"{"outputs": [{"name": "l", "value": "javascript:alert(1)", "kind": "link"}]}"#
        )
        .is_err());
    }
}
