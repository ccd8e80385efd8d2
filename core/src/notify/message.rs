//! What a notification says: one [`Message`] per notification, rendered as plain text and HTML for
//! e-mail and as Block Kit for Slack. Messages link back to the portal and never carry a secret:
//! secret results are named, never shown.

use crate::markdown::escape_html as escape;
use runway_domain::notify::Notification;

/// The parts of a message every channel renders.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    /// Short paragraphs, plain text.
    pub lines: Vec<String>,
    /// Non-secret results as `(label, value)`.
    pub results: Vec<(String, String)>,
    /// The request's page.
    pub link: String,
    /// Where the person changes what they hear about.
    pub settings_link: String,
    /// For approvals: the request id the buttons decide on.
    pub approve: Option<i64>,
}

/// What a message is about.
pub struct About<'a> {
    pub notification: Notification,
    pub request_id: i64,
    pub action_title: &'a str,
    pub requester: &'a str,
    pub team: Option<&'a str>,
    /// The event's kind (`succeeded`, `rejected`, ...): what happened, whatever the request's
    /// status is by the time the message is sent.
    pub status: &'a str,
    /// Who caused the event (an approver, whoever cancelled).
    pub actor: Option<&'a str>,
    /// The event's detail: a decision's comment, a failure's error.
    pub detail: Option<&'a str>,
    /// The last error of a failed request.
    pub error: Option<&'a str>,
    pub results: Vec<(String, String)>,
    pub base_url: &'a str,
}

pub fn compose(a: &About<'_>) -> Message {
    let base = a.base_url.trim_end_matches('/');
    let link = format!("{base}/requests/{}", a.request_id);
    let settings_link = format!("{base}/settings/notifications");
    let what = format!("{} #{}", a.action_title, a.request_id);
    let team = a.team.map(|t| format!(" for team {t}")).unwrap_or_default();
    let mut lines = Vec::new();
    let mut results = Vec::new();
    let mut approve = None;
    let subject = match a.notification {
        Notification::Queued => {
            lines.push(format!("Your request {what} is queued."));
            format!("Queued: {what}")
        }
        Notification::Finished => {
            let (word, line) = match a.status {
                "succeeded" => ("Succeeded", format!("Your request {what} succeeded.")),
                "failed" => ("Failed", format!("Your request {what} failed.")),
                "cancelled" => (
                    "Cancelled",
                    match a.actor {
                        Some(who) => format!("Your request {what} was cancelled by {who}."),
                        None => format!("Your request {what} was cancelled."),
                    },
                ),
                "expired" => (
                    "Expired",
                    format!("Your request {what} expired: nobody decided on it in time."),
                ),
                other => ("Finished", format!("Your request {what} is {other}.")),
            };
            lines.push(line);
            if a.status == "failed" {
                if let Some(e) = a.error.filter(|e| !e.is_empty()) {
                    lines.push(format!("Error: {e}"));
                }
            }
            results = a.results.clone();
            format!("{word}: {what}")
        }
        Notification::ApprovalNeeded => {
            lines.push(format!(
                "{} asks for {}{team}. It waits for your approval.",
                a.requester, a.action_title
            ));
            approve = Some(a.request_id);
            format!("Approval needed: {what}")
        }
        Notification::ApprovalDecided => {
            let who = a.actor.unwrap_or("An approver");
            let word = if a.status == "rejected" {
                "rejected"
            } else {
                "approved"
            };
            lines.push(format!("{who} {word} your request {what}."));
            if let Some(c) = a.detail.filter(|c| !c.is_empty()) {
                lines.push(format!("Comment: {c}"));
            }
            format!(
                "{}: {what}",
                if word == "rejected" {
                    "Rejected"
                } else {
                    "Approved"
                }
            )
        }
        Notification::ManualWaiting => {
            lines.push(format!(
                "{} asks for {}{team}. It waits in your team's fulfilment inbox.",
                a.requester, a.action_title
            ));
            format!("Waiting for your team: {what}")
        }
        Notification::SecretWaiting => {
            lines.push(format!(
                "Your request {what} has a secret result. Open the request to reveal it: it is shown once, and deleted after 24 hours."
            ));
            format!("Secret result waiting: {what}")
        }
    };
    Message {
        subject,
        lines,
        results,
        link,
        settings_link,
        approve,
    }
}

/// The e-mail's plain-text body.
pub fn text(m: &Message) -> String {
    let mut out = String::new();
    for l in &m.lines {
        out.push_str(l);
        out.push_str("\n\n");
    }
    if !m.results.is_empty() {
        out.push_str("Results:\n");
        for (k, v) in &m.results {
            out.push_str(&format!("  {k}: {v}\n"));
        }
        out.push('\n');
    }
    out.push_str(&format!("Open the request: {}\n", m.link));
    out.push_str(&format!(
        "\n-- \nRunway. Choose what you hear about: {}\n",
        m.settings_link
    ));
    out
}

/// The e-mail's HTML body: the same text, escaped, with the link as a link.
pub fn html(m: &Message) -> String {
    let mut out = String::from("<!doctype html><html><body style=\"font-family:sans-serif\">");
    for l in &m.lines {
        out.push_str(&format!("<p>{}</p>", escape(l)));
    }
    if !m.results.is_empty() {
        out.push_str("<table>");
        for (k, v) in &m.results {
            out.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                escape(k),
                escape(v)
            ));
        }
        out.push_str("</table>");
    }
    out.push_str(&format!(
        "<p><a href=\"{}\">Open the request</a></p><p style=\"color:#666\">Runway. <a href=\"{}\">Choose what you hear about</a>.</p></body></html>",
        escape(&m.link),
        escape(&m.settings_link)
    ));
    out
}

/// Block Kit blocks for a Slack message, with Approve and Reject buttons for approvals.
pub fn slack_blocks(m: &Message) -> serde_json::Value {
    let mut text = format!("*{}*", slack_escape(&m.subject));
    for l in &m.lines {
        text.push('\n');
        text.push_str(&slack_escape(l));
    }
    for (k, v) in &m.results {
        text.push_str(&format!("\n• {}: {}", slack_escape(k), slack_escape(v)));
    }
    let mut blocks = vec![serde_json::json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": text},
    })];
    let mut elements = vec![serde_json::json!({
        "type": "button",
        "action_id": "open",
        "text": {"type": "plain_text", "text": "Open in Runway"},
        "url": m.link,
    })];
    if let Some(id) = m.approve {
        elements.push(serde_json::json!({
            "type": "button", "action_id": "approve", "style": "primary",
            "text": {"type": "plain_text", "text": "Approve"}, "value": id.to_string(),
        }));
        elements.push(serde_json::json!({
            "type": "button", "action_id": "reject", "style": "danger",
            "text": {"type": "plain_text", "text": "Reject"}, "value": id.to_string(),
        }));
    }
    blocks.push(serde_json::json!({"type": "actions", "elements": elements}));
    serde_json::Value::Array(blocks)
}

/// Slack's own escaping for text it formats: `&`, `<` and `>` (so a value cannot make a link or
/// a mention).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(n: Notification, status: &'static str) -> About<'static> {
        About {
            notification: n,
            request_id: 7,
            action_title: "Create a <repo>",
            requester: "Dana",
            team: Some("payments"),
            status: "succeeded",
            actor: Some("Lee"),
            detail: None,
            error: None,
            results: vec![("URL".into(), "https://git/x".into())],
            base_url: "https://runway.example.com/",
        }
        .with_status(status)
    }

    impl<'a> About<'a> {
        fn with_status(mut self, s: &'a str) -> Self {
            self.status = s;
            self
        }
    }

    #[test]
    fn a_finished_message_links_to_the_request_and_lists_its_results_escaped_in_html() {
        let m = compose(&about(Notification::Finished, "succeeded"));
        assert_eq!(m.subject, "Succeeded: Create a <repo> #7");
        assert_eq!(m.link, "https://runway.example.com/requests/7");
        let h = html(&m);
        assert!(h.contains("Create a &lt;repo&gt;"), "{h}");
        assert!(!h.contains("<repo>"));
        assert!(text(&m).contains("URL: https://git/x"));
        assert!(text(&m).contains("https://runway.example.com/settings/notifications"));
        assert!(h.contains("href=\"https://runway.example.com/settings/notifications\""));
    }

    #[test]
    fn approvals_carry_buttons_and_decisions_name_the_decider_and_comment() {
        let m = compose(&about(Notification::ApprovalNeeded, "pending_approval"));
        let blocks = slack_blocks(&m).to_string();
        assert!(
            blocks.contains("\"action_id\":\"approve\"")
                && blocks.contains("\"action_id\":\"reject\"")
        );
        let mut a = about(Notification::ApprovalDecided, "rejected");
        a.detail = Some("not this quarter");
        let m = compose(&a);
        assert_eq!(m.subject, "Rejected: Create a <repo> #7");
        assert!(m
            .lines
            .iter()
            .any(|l| l == "Lee rejected your request Create a <repo> #7."));
        assert!(m.lines.iter().any(|l| l == "Comment: not this quarter"));
    }
}
