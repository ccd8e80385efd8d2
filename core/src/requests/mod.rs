//! Requests: submitting a form, and what people do with requests afterwards. The web layer calls
//! these after it knows who is asking; every use case checks that the caller may do what they ask,
//! and fails with its own error enum. The variants say *what* went wrong; the web layer words it
//! for people (no page wording here) and logs the internal ones.
//!
//! - [`submit`]: validate a form, seal its secrets, record the request and its job.
//! - [`access`]: who may see, fulfil, approve, cancel or retry a request (every `may_*`).
//! - [`page`]: what the request page shows, and earlier log lines.
//! - [`approvals`]: deciding on a request waiting for approval; the approvals inbox.
//! - [`fulfil`]: manual requests: the owning team's inbox, taking and closing them.
//! - [`cancel`]: stopping a request.
//! - [`retry`]: running a failed request again.
//! - [`secrets`]: sealing secret outputs, and revealing one to its requester once.
//! - [`history`]: the caller's history views.
//! - [`team`]: the team page's figures.
//! - [`run`]: the queue handler that runs a request's job through its executor.

pub mod access;
pub mod approvals;
pub mod cancel;
pub mod fulfil;
pub mod history;
pub mod page;
pub mod retry;
pub mod run;
pub mod secrets;
pub mod submit;
pub mod team;

pub use access::{
    may_approve, may_cancel, may_fulfil, may_retry, may_see, owner_of, policy_of, AccessError,
};
pub use approvals::{
    approvals_count, approvals_inbox, comment_problem, decide, DecideError, WaitingVersions,
    INBOX_PAGE,
};
pub use cancel::{cancel, CancelError};
pub use fulfil::{inbox, inbox_waiting, FulfilError, Fulfilment};
pub use history::{history, history_filter, history_rows, HistoryError};
pub use page::{log_before, view, LOG_TAIL};
pub use retry::{retry, RetryError};
pub use secrets::{reveal_secret, seal_outputs, RevealError};
pub use submit::{submit, submit_via, JobPayload, Origin, SubmitError};
pub use team::team_stats;

use crate::catalog::Catalog;
use crate::db::requests::RequestRow;
use crate::state::Runway;
use runway_domain::view::{InboxItem, InboxPage};

/// One inbox page from `rows` (one more than a page, if there are older ones) and the total.
fn inbox_page(rw: &Runway, mut rows: Vec<RequestRow>, total: i64) -> InboxPage {
    let catalog = rw.catalog.snapshot();
    let page = usize::try_from(INBOX_PAGE).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    let older = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    InboxPage {
        items: rows.into_iter().map(|r| inbox_item(&catalog, r)).collect(),
        total,
        older,
    }
}

/// A request as the fulfilment and approvals inboxes list it.
fn inbox_item(catalog: &Catalog, r: RequestRow) -> InboxItem {
    InboxItem {
        id: r.id,
        action_title: catalog.title_of(&r.action_id),
        requester: r.requester_name,
        team: r.team,
        status: r.status,
        assignee: r.assignee_name,
        created_at: r.created_at.to_rfc3339(),
    }
}
