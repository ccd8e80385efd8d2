//! Atlassian Document Format, the body of a Jira Cloud REST v3 comment: the few nodes Runway
//! writes (paragraphs of text and links, bullet lists), and reading the text out of a description.
//! <https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/>

use serde_json::{json, Value};

/// One piece of a paragraph.
pub enum Inline {
    Text(String),
    Link { text: String, href: String },
    Strong(String),
}

/// One block of a comment.
pub enum Block {
    Paragraph(Vec<Inline>),
    Bullets(Vec<Vec<Inline>>),
}

fn inline(i: &Inline) -> Value {
    match i {
        Inline::Text(t) => json!({"type": "text", "text": t}),
        Inline::Strong(t) => json!({"type": "text", "text": t, "marks": [{"type": "strong"}]}),
        Inline::Link { text, href } => json!({
            "type": "text", "text": text,
            "marks": [{"type": "link", "attrs": {"href": href}}],
        }),
    }
}

fn paragraph(parts: &[Inline]) -> Value {
    // ADF refuses empty text nodes.
    let content: Vec<Value> = parts
        .iter()
        .filter(|p| match p {
            Inline::Text(t) | Inline::Strong(t) => !t.is_empty(),
            Inline::Link { text, .. } => !text.is_empty(),
        })
        .map(inline)
        .collect();
    json!({"type": "paragraph", "content": content})
}

/// The document: `{"type": "doc", "version": 1, "content": [...]}`.
pub fn doc(blocks: &[Block]) -> Value {
    let content: Vec<Value> = blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(parts) => paragraph(parts),
            Block::Bullets(items) => json!({
                "type": "bulletList",
                "content": items.iter().map(|i| json!({
                    "type": "listItem", "content": [paragraph(i)],
                })).collect::<Vec<_>>(),
            }),
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// The plain text of a field that is either a string (REST v2, Data Center, most webhooks) or an
/// ADF document (REST v3): text nodes joined, one line per paragraph, heading or list item.
pub fn plain_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let mut out = String::new();
            walk(v, &mut out);
            out.trim_end_matches('\n').to_string()
        }
        _ => String::new(),
    }
}

fn walk(v: &Value, out: &mut String) {
    match v["type"].as_str() {
        Some("text") => out.push_str(v["text"].as_str().unwrap_or_default()),
        Some("hardBreak") => out.push('\n'),
        Some(kind) => {
            if let Some(children) = v["content"].as_array() {
                for c in children {
                    walk(c, out);
                }
            }
            if matches!(kind, "paragraph" | "heading" | "codeBlock") && !out.ends_with('\n') {
                out.push('\n');
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_a_version_1_document_without_empty_text_nodes() {
        let d = doc(&[
            Block::Paragraph(vec![
                Inline::Text("See ".into()),
                Inline::Link {
                    text: "#4".into(),
                    href: "https://r/requests/4".into(),
                },
                Inline::Text(String::new()),
            ]),
            Block::Bullets(vec![vec![Inline::Strong("name".into())]]),
        ]);
        assert_eq!(d["type"], "doc");
        assert_eq!(d["version"], 1);
        assert_eq!(d["content"][0]["content"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            d["content"][0]["content"][1]["marks"][0]["attrs"]["href"],
            "https://r/requests/4"
        );
        assert_eq!(d["content"][1]["type"], "bulletList");
    }

    #[test]
    fn the_text_of_an_adf_description_has_one_line_per_paragraph() {
        let v = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Repository name: "}, {"type": "text", "text": "billing"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "Team: payments"}, {"type": "hardBreak"}, {"type": "text", "text": "x"}]},
        ]});
        assert_eq!(
            plain_text(&v),
            "Repository name: billing\nTeam: payments\nx"
        );
        assert_eq!(plain_text(&json!("plain")), "plain");
    }
}
