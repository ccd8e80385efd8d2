//! Notification e-mail over SMTP with `lettre`: plain text and HTML alternatives, a Message-ID
//! made from the delivery, so a message sent again after a crash is recognisably the same one.

use super::message::{self, Message};
use crate::config::EmailSettings;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The host part of Message-IDs.
    domain: String,
}

impl Mailer {
    /// The mailer for these settings, or `None` when e-mail is not set up (or the URL does not
    /// parse, which the settings check has already refused).
    pub fn from_settings(s: &EmailSettings) -> Option<Self> {
        let url = s.smtp_url.configured()?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .ok()?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = s.from.parse().ok()?;
        let domain = from.email.domain().to_string();
        Some(Self {
            transport,
            from,
            domain,
        })
    }

    /// Sends `m` to `to`. The error is worded for the admins' delivery list.
    pub async fn send(&self, delivery_id: i64, to: &str, m: &Message) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| format!("`{to}` is not an e-mail address"))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .message_id(Some(format!(
                "<runway-delivery-{delivery_id}@{}>",
                self.domain
            )))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(message::text(m)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(message::html(m)),
                    ),
            )
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        self.transport
            .send(email)
            .await
            .map(drop)
            .map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))
    }
}
