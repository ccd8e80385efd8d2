//! Server functions: who is asking, call `runway_core`, map the error. Nothing else belongs here.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::audit::AuditPage;
use runway_domain::problem::Problem;
use runway_domain::user::User;
use runway_domain::view::{
    ActionCard, ActionDetail, HistoryPage, InboxPage, LogLineView, RequestView, TeamPage,
};
use serde::{Deserialize, Serialize};

pub mod editor;
pub mod impact;
pub mod notifications;
pub mod tokens;

#[cfg(feature = "ssr")]
fn runway() -> Result<runway_core::state::Runway, AppError> {
    use_context::<runway_core::state::Runway>().ok_or_else(|| {
        reject(AppError::internal(
            "server context missing",
            "Runway state not provided",
        ))
    })
}

/// Sets the HTTP status that matches `e` (404, 401, 403, 503) and returns it: server functions
/// answer with honest status codes, not a blanket 500.
#[cfg(feature = "ssr")]
fn reject(e: AppError) -> AppError {
    set_status(match e {
        AppError::NotFound => 404,
        AppError::Unauthorized => 401,
        AppError::Forbidden => 403,
        AppError::Unavailable | AppError::Transport(_) => 503,
    });
    e
}

/// Logs an internal failure (with `context`) and answers `Unavailable` (503): the cause never
/// reaches the browser.
#[cfg(feature = "ssr")]
fn unavailable<E: std::fmt::Display>(context: &'static str) -> impl FnOnce(E) -> AppError {
    move |e| reject(AppError::internal(context, e))
}

/// The signed-in user, attached to the request by the server's sign-in guard.
#[cfg(feature = "ssr")]
async fn user() -> Result<User, AppError> {
    maybe_user()
        .await?
        .ok_or_else(|| reject(AppError::Unauthorized))
}

#[cfg(feature = "ssr")]
async fn maybe_user() -> Result<Option<User>, AppError> {
    let ext: Option<axum::Extension<User>> = leptos_axum::extract()
        .await
        .map_err(unavailable("cannot read the request"))?;
    Ok(ext.map(|e| e.0))
}

/// Who is signed in, if anyone (for the header). Callable anonymously.
#[server(endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<User>, AppError> {
    maybe_user().await
}

/// How to sign in here: with the company's SSO, or as a demo user in development mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignInMode {
    Sso,
    Development(Vec<DemoUserView>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoUserView {
    pub login: String,
    pub name: String,
    pub description: String,
}

/// Callable anonymously: the sign-in page needs it.
#[server(endpoint = "auth/options")]
pub async fn sign_in_options() -> Result<SignInMode, AppError> {
    let rw = runway()?;
    Ok(if rw.settings.auth.dev_mode() {
        SignInMode::Development(
            runway_core::auth::dev::DEMO_USERS
                .iter()
                .map(|u| DemoUserView {
                    login: u.login.to_string(),
                    name: u.name.to_string(),
                    description: u.description.to_string(),
                })
                .collect(),
        )
    } else {
        SignInMode::Sso
    })
}

/// The catalogue cards the caller may see.
#[server(endpoint = "catalog/list")]
pub async fn list_actions() -> Result<Vec<ActionCard>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    Ok(rw
        .catalog
        .snapshot()
        .cards_for(&runway_core::auth::viewer(&user)))
}

/// One action's page, or `NotFound` when it does not exist or is not visible to the caller.
#[server(endpoint = "catalog/action")]
pub async fn get_action(id: String) -> Result<ActionDetail, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let mut detail = rw
        .catalog
        .snapshot()
        .detail_for(&id, &runway_core::auth::viewer(&user))
        .ok_or_else(|| reject(AppError::NotFound))?;
    detail.form_key = uuid::Uuid::new_v4().simple().to_string();
    detail.may_edit = runway_core::editor::may_edit(&user, &detail.card.owner);
    detail.figures = Some(
        runway_core::impact::action_figures(&rw, &id)
            .await
            .map_err(unavailable("cannot load an action's figures"))?,
    );
    Ok(detail)
}

/// An action's history page (`query`: the page's query string, `from` and `to` naming the two
/// versions to compare): `NotFound` unless the caller is an admin or in the owning team.
#[server(endpoint = "catalog/history")]
pub async fn get_action_history(
    id: String,
    query: String,
) -> Result<runway_domain::versions::ActionHistory, AppError> {
    use runway_core::catalog::{action_history, ActionHistoryError, VersionPair};
    let user = user().await?;
    let rw = runway()?;
    let pair = VersionPair::from_query(&query);
    action_history(&rw.db, &rw.catalog.snapshot(), &user, &id, pair)
        .await
        .map_err(|e| match e {
            ActionHistoryError::NotFound => reject(AppError::NotFound),
            ActionHistoryError::Db(e) => unavailable("cannot load an action's history")(e),
        })
}

/// One request's page: `NotFound` unless the caller may see it (requester, its team, the owning
/// team, admins).
#[server(endpoint = "requests/get")]
pub async fn get_request(id: i64) -> Result<RequestView, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::requests::view(&rw, &user, id)
        .await
        .map_err(unavailable("cannot load a request"))?
        .ok_or_else(|| reject(AppError::NotFound))
}

/// A page of request history; `query` is the page's query string (scope, filters, cursor). A
/// malformed filter is answered in words (`Ok(Err(..))`, HTTP 400) for the page to show.
#[server(endpoint = "requests/history")]
pub async fn get_history(query: String) -> Result<Result<HistoryPage, String>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let q = match runway_domain::view::HistoryQuery::parse(&query) {
        Ok(q) => q,
        Err(e) => return Ok(Err(bad_input(e))),
    };
    match runway_core::requests::history(&rw, &user, q).await {
        Ok(page) => Ok(Ok(page)),
        Err(e) => history_refusal(e).map(Err),
    }
}

/// Answers 400 with `message` for the page to show.
#[cfg(feature = "ssr")]
fn bad_input(message: String) -> String {
    set_status(400);
    message
}

/// A malformed filter in words for the page (400); a scope the caller may not see is `Forbidden`;
/// a failure is logged and `Unavailable`.
#[cfg(feature = "ssr")]
fn history_refusal(e: runway_core::requests::HistoryError) -> Result<String, AppError> {
    use runway_core::requests::HistoryError;
    match e {
        HistoryError::Db(e) => Err(unavailable("cannot load request history")(e)),
        e if e.is_bad_input() => Ok(bad_input(crate::messages::history(&e))),
        _ => Err(reject(AppError::Forbidden)),
    }
}

/// A page of the audit log (admins only); `query` is the page's query string (filters, cursor).
/// A malformed filter is answered in words (`Ok(Err(..))`, HTTP 400) for the page to show.
#[server(endpoint = "admin/audit")]
pub async fn get_audit(query: String) -> Result<Result<AuditPage, String>, AppError> {
    use runway_core::audit::AuditError;
    let user = user().await?;
    let rw = runway()?;
    let q = match runway_domain::audit::AuditQuery::parse(&query) {
        Ok(q) => q,
        Err(e) => return Ok(Err(bad_input(e))),
    };
    match runway_core::audit::audit_page(&rw, &user, q).await {
        Ok(page) => Ok(Ok(page)),
        Err(AuditError::Forbidden) => Err(reject(AppError::Forbidden)),
        Err(AuditError::BadInput(e)) => Ok(Err(bad_input(e))),
        Err(e @ AuditError::Db(_)) => Err(unavailable("cannot read the audit log")(e)),
    }
}

/// Earlier log lines of a request (the page shows the tail first).
#[server(endpoint = "requests/log")]
pub async fn get_log_before(id: i64, before: i64) -> Result<Vec<LogLineView>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::requests::log_before(&rw, &user, id, before)
        .await
        .map_err(unavailable("cannot load a log"))?
        .ok_or_else(|| reject(AppError::NotFound))
}

/// A team's figures: members of the team and admins.
#[server(endpoint = "teams/get")]
pub async fn get_team(team: String) -> Result<TeamPage, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::requests::team_stats(&rw, &user, &team)
        .await
        .map_err(unavailable("cannot load team figures"))?
        .ok_or_else(|| reject(AppError::NotFound))
}

/// One page of the requests the caller may decide on now, newest first, older than `before`.
#[server(endpoint = "requests/approvals")]
pub async fn get_approvals(before: Option<i64>) -> Result<InboxPage, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::requests::approvals_inbox(&rw, &user, before)
        .await
        .map_err(unavailable("cannot load approvals"))
}

/// What the navigation shows the caller besides their name.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct NavInfo {
    /// Requests waiting for the caller's approval.
    pub approvals: usize,
    /// Manual requests waiting in the caller's teams' fulfilment inbox.
    pub inbox: usize,
    /// Whether the caller may use Discover (admins and the teams in `discover.teams`).
    pub discover: bool,
    /// Pulse rounds waiting for the caller's answer.
    pub pulse: usize,
    /// Whether the caller may see the Impact page (admins and the catalogue's owners).
    pub impact: bool,
}

/// How many things wait for the caller: approvals and fulfilment (for the navigation badges),
/// counted by the database, and whether Discover is theirs to use.
#[server(endpoint = "requests/counts")]
pub async fn nav_counts() -> Result<NavInfo, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let approvals = runway_core::requests::approvals_count(&rw, &user)
        .await
        .map_err(unavailable("cannot count approvals"))?;
    let inbox = runway_core::requests::inbox_waiting(&rw, &user)
        .await
        .map_err(unavailable("cannot count the inbox"))?;
    let pulse = runway_core::impact::pulse::waiting(&rw, &user)
        .await
        .map_err(unavailable("cannot count open pulses"))?;
    let n = |c: i64| usize::try_from(c).unwrap_or(0);
    Ok(NavInfo {
        approvals: n(approvals),
        inbox: n(inbox),
        discover: runway_core::discover::may_discover(&rw.settings.discover, &user),
        pulse,
        impact: runway_core::impact::may_see(&rw, &user),
    })
}

/// One page of the caller's fulfilment inbox (open manual requests of actions their teams own),
/// newest first, older than `before`.
#[server(endpoint = "requests/inbox")]
pub async fn get_inbox(before: Option<i64>) -> Result<InboxPage, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::requests::inbox(&rw, &user, before)
        .await
        .map_err(unavailable("cannot load the inbox"))
}

/// The state of the last catalogue load, for the platform team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogHealthReport {
    pub directory: String,
    pub loaded_at: String,
    pub files_read: usize,
    pub actions: Vec<LoadedRow>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedRow {
    pub id: String,
    pub title: String,
    pub file: String,
    pub version: String,
}

/// Admins only: the platform team manages the catalogue.
#[server(endpoint = "catalog/health")]
pub async fn catalog_health() -> Result<CatalogHealthReport, AppError> {
    if !user().await?.is_admin {
        return Err(reject(AppError::Forbidden));
    }
    let rw = runway()?;
    let snapshot = rw.catalog.snapshot();
    Ok(CatalogHealthReport {
        directory: rw.catalog.dir().display().to_string(),
        loaded_at: snapshot
            .loaded_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        files_read: snapshot.files_read,
        actions: snapshot
            .actions
            .values()
            .map(|a| LoadedRow {
                id: a.spec.id.to_string(),
                title: a.spec.title.clone(),
                file: a.file.clone(),
                version: a.content_hash.chars().take(12).collect(),
            })
            .collect(),
        problems: snapshot.problems.clone(),
    })
}

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        options.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// The mapping form of an uploaded CSV whose columns Runway cannot tell by itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadColumns {
    /// The file's column names, in order.
    pub columns: Vec<String>,
    /// Per role: (name, label, the column guessed for it).
    pub roles: Vec<(String, String, Option<String>)>,
}

/// The columns of kept upload `upload` and a first guess at each role (admins and the teams in
/// `discover.teams` only); `NotFound` when the upload no longer waits.
#[server(endpoint = "discover/upload-columns")]
pub async fn discover_upload_columns(upload: String) -> Result<UploadColumns, AppError> {
    let user = user().await?;
    let rw = runway()?;
    if !runway_core::discover::may_discover(&rw.settings.discover, &user) {
        return Err(reject(AppError::Forbidden));
    }
    let found = runway_core::discover::staged_columns(&rw.settings.data_dir, &upload)
        .await
        .map_err(unavailable("reading an upload's columns"))?
        .ok_or_else(|| reject(AppError::NotFound))?;
    Ok(UploadColumns {
        columns: found.columns,
        roles: found.roles,
    })
}

/// Discover's ranked groups of one ticket source, for the platform team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoverView {
    /// The order shown: `waiting` (default), `count` or `trend`.
    pub by: String,
    /// Every source with tickets: name and ticket count.
    pub sources: Vec<(String, i64)>,
    /// The source shown (`None` when nothing has been imported).
    pub source: Option<String>,
    pub tickets: usize,
    pub groups_total: usize,
    pub dismissed: usize,
    /// The Monday of the first week in each group's `weekly`.
    pub first_week: Option<String>,
    pub groups: Vec<DiscoverGroupRow>,
    /// (id, title) of the catalogue's actions a group can become the baseline of: admins only.
    pub link_actions: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoverGroupRow {
    pub rank: usize,
    pub id: String,
    pub label: String,
    pub template: String,
    pub tickets: usize,
    /// Share of all tickets, in per cent, one decimal.
    pub share: String,
    pub median: String,
    pub p90: String,
    pub waiting: String,
    /// The three teams that ask most, with their counts.
    pub teams: String,
    /// (key, title, link) of up to three recent tickets.
    pub examples: Vec<(String, String, Option<String>)>,
    /// Tickets per week over the export's last 52 weeks (fewer for a shorter export), oldest first.
    pub weekly: Vec<u32>,
    /// The last 90 days against the 90 before: `+35 %`, `-10 %`, `new`, or `-` (none lately).
    pub trend: String,
    /// (key, title, link, created date) of the group's newest tickets, at most [`GROUP_TICKETS`].
    pub tickets_shown: Vec<(String, String, Option<String>, String)>,
}

/// How many of a group's tickets the Discover page lists (newest first).
pub const GROUP_TICKETS: usize = 25;

/// `3.5d`, `7.0h`, `45m`, `-`.
#[cfg(feature = "ssr")]
fn duration_text(secs: Option<i64>) -> String {
    let Some(secs) = secs else {
        return "-".to_string();
    };
    let hours = secs as f64 / 3600.0;
    if hours >= 48.0 {
        format!("{:.1}d", hours / 24.0)
    } else if hours >= 1.0 {
        format!("{hours:.1}h")
    } else {
        format!("{}m", secs / 60)
    }
}

/// The top 20 groups of a source (the first source when none is named), ranked by total waiting
/// time, with the people's decisions applied. Admins and the teams in `discover.teams` only.
#[server(endpoint = "discover/report")]
pub async fn discover_report(
    source: Option<String>,
    by: Option<String>,
) -> Result<DiscoverView, AppError> {
    let user = user().await?;
    let rw = runway()?;
    if !runway_core::discover::may_discover(&rw.settings.discover, &user) {
        return Err(reject(AppError::Forbidden));
    }
    let sources = runway_core::discover::sources(&rw.db)
        .await
        .map_err(unavailable("listing ticket sources"))?;
    let chosen = source
        .filter(|s| sources.iter().any(|r| r.source == *s))
        .or_else(|| sources.first().map(|r| r.source.clone()));
    let sources: Vec<(String, i64)> = sources.into_iter().map(|r| (r.source, r.tickets)).collect();
    let link_actions: Vec<(String, String)> = if user.is_admin {
        rw.catalog
            .snapshot()
            .actions
            .values()
            .map(|a| (a.spec.id.to_string(), a.spec.title.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let Some(name) = chosen else {
        return Ok(DiscoverView {
            by: "waiting".to_string(),
            sources,
            source: None,
            tickets: 0,
            groups_total: 0,
            dismissed: 0,
            first_week: None,
            groups: Vec::new(),
            link_actions,
        });
    };
    // An unknown order falls back to the default rather than failing the page.
    let (by, order) = match by
        .as_deref()
        .map(str::parse::<runway_core::discover::RankBy>)
    {
        Some(Ok(order)) => (by.unwrap_or_default(), order),
        _ => (
            "waiting".to_string(),
            runway_core::discover::RankBy::Waiting,
        ),
    };
    let analysis = runway_core::discover::analysis(&rw.db, &name, order)
        .await
        .map_err(unavailable("analysing tickets"))?;
    let members: std::collections::HashMap<_, _> = analysis
        .groups
        .iter()
        .map(|g| (&g.id, &g.members))
        .collect();
    let tickets = &analysis.tickets;
    let report = &analysis.report;
    // The chart shows the last year: the weekly counts run to the export's last week.
    const WEEKS: usize = 52;
    let weeks_kept = report
        .groups
        .first()
        .map_or(0, |g| g.weekly.len().min(WEEKS));
    let first_week = report.first_week.map(|d| {
        let skipped = report
            .groups
            .first()
            .map_or(0, |g| g.weekly.len() - weeks_kept);
        d.iter_weeks().nth(skipped).unwrap_or(d).to_string()
    });
    let groups = report
        .groups
        .iter()
        .take(20)
        .map(|g| DiscoverGroupRow {
            rank: g.rank,
            id: g.id.to_string(),
            label: g.label.clone(),
            template: g.template.clone(),
            tickets: g.tickets,
            share: format!("{:.1} %", g.share * 100.0),
            median: duration_text(g.median_secs),
            p90: duration_text(g.p90_secs),
            waiting: duration_text(Some(g.waiting_secs)),
            teams: g
                .teams
                .iter()
                .take(3)
                .map(|t| format!("{} {}", t.team, t.tickets))
                .collect::<Vec<_>>()
                .join(", "),
            examples: g
                .examples
                .iter()
                .map(|e| (e.key.clone(), e.title.clone(), e.link.clone()))
                .collect(),
            weekly: g.weekly[g.weekly.len() - weeks_kept.min(g.weekly.len())..].to_vec(),
            trend: match g.trend.change_percent() {
                Some(p) => format!("{p:+.0} %"),
                None if g.trend.recent > 0 => "new".to_string(),
                None => "-".to_string(),
            },
            tickets_shown: {
                let mut shown: Vec<_> = members
                    .get(&g.id)
                    .map(|m| m.iter().filter_map(|i| tickets.get(*i as usize)).collect())
                    .unwrap_or_default();
                shown.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.key.cmp(&b.key)));
                shown
                    .into_iter()
                    .take(GROUP_TICKETS)
                    .map(|t| {
                        (
                            t.key.clone(),
                            t.title.clone(),
                            t.link.clone(),
                            t.created.format("%Y-%m-%d").to_string(),
                        )
                    })
                    .collect()
            },
        })
        .collect();
    Ok(DiscoverView {
        by,
        sources,
        source: Some(name),
        tickets: report.tickets,
        groups_total: report.groups_total,
        dismissed: report.dismissed,
        first_week,
        groups,
        link_actions,
    })
}
