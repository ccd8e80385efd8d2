//! An action's history (`/actions/{id}/history`): every change, newest first; a side-by-side diff of
//! two versions chosen with a plain GET form (works without JavaScript); and, for admins and leads
//! of the owning team, the forms that roll back, change the rollout and change the lifecycle (plain
//! form posts to `/actions/{id}/rollback`, `/rollout` and `/lifecycle`).

use crate::api::{get_action_history, set_status};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use runway_domain::spec::LifecycleStatus;
use runway_domain::versions::{
    ActionHistory, ChangeView, DiffKind, DiffRow, DiffView, LifecycleView, RolloutView,
    VersionOption, ADOPTION_DAYS,
};

#[component]
pub fn ActionHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let source = move || {
        (
            params.read().get("id").unwrap_or_default(),
            location.search.get(),
        )
    };
    let data = crate::resource::load(source, |(id, query)| get_action_history(id, query));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(h) => view! { <HistoryView h /> }.into_any(),
                    Err(AppError::NotFound) => {
                        set_status(404);
                        view! {
                            <Title text="Action not found" />
                            <section class="notice">
                                <h1>"No such action"</h1>
                                <p>
                                    "This action does not exist, or you may not see its history. "
                                    <a href="/">"Back to the catalogue"</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryView(h: ActionHistory) -> impl IntoView {
    let base = format!("/actions/{}", h.action_id);
    let title = format!("History of {}", h.title);
    let (from, to) = h
        .diff
        .as_ref()
        .map(|d| (d.from.clone(), d.to.clone()))
        .unwrap_or_default();
    view! {
        <Title text=title.clone() />
        <article class="action-history">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/">"Catalogue"</a>
                " / "
                <a href=base.clone()>{h.title.clone()}</a>
                " / "
                <span aria-current="page">"History"</span>
            </nav>
            <h1>{title}</h1>
            {(!h.in_catalog).then(|| view! { <p class="notice">"This action is no longer in the catalogue files."</p> })}
            <section aria-labelledby="changes-heading">
                <h2 id="changes-heading">"Changes"</h2>
                <Changes changes=h.changes base=base.clone() may_manage=h.may_manage />
            </section>
            <section aria-labelledby="compare-heading">
                <h2 id="compare-heading">"Compare two versions"</h2>
                <form method="get" action=format!("{base}/history") class="compare">
                    <VersionSelect name="from" label="Older version" versions=h.versions.clone() selected=from />
                    <VersionSelect name="to" label="Newer version" versions=h.versions selected=to />
                    <button type="submit" class="secondary">"Compare"</button>
                </form>
                {match h.diff {
                    Some(d) => view! { <Diff d /> }.into_any(),
                    None => view! { <p class="muted">"Choose two recorded versions to see what changed."</p> }.into_any(),
                }}
            </section>
            {h.in_catalog.then(|| view! {
                <Rollout r=h.rollout base=base.clone() may_manage=h.may_manage />
                <Lifecycle l=h.lifecycle base=base.clone() may_manage=h.may_manage />
            })}
        </article>
    }
}

#[component]
fn Changes(changes: Vec<ChangeView>, base: String, may_manage: bool) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No changes recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="changes">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Note"</th>
                        <th scope="col">"Version"</th>
                        <th scope="col">"Git commit"</th>
                        {may_manage.then(|| view! { <th scope="col">"Roll back"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {changes
                        .into_iter()
                        .map(|c| {
                            let note_id = format!("rollback-note-{}", c.id);
                            let rollback = (may_manage && !c.is_current && c.has_source).then(|| view! {
                                <form method="post" action=format!("{base}/rollback") class="rollback">
                                    <input type="hidden" name="hash" value=c.content_hash.clone() />
                                    <label for=note_id.clone()>"Note"</label>
                                    <input id=note_id type="text" name="note" required maxlength="500" />
                                    <button type="submit" class="secondary">"Roll back to this version"</button>
                                </form>
                            });
                            view! {
                                <tr data-change=c.id>
                                    <td>{c.changed_at}</td>
                                    <td>{c.actor.unwrap_or_else(|| "from the files".to_string())}</td>
                                    <td>{c.kind}</td>
                                    <td>{c.note}</td>
                                    <td>
                                        <code title=c.content_hash.clone()>{c.short_hash}</code>
                                        {c.is_current.then_some(" (current)")}
                                    </td>
                                    <td>{c.git_commit.map(|g| view! { <code>{g.chars().take(12).collect::<String>()}</code> })}</td>
                                    {may_manage.then(|| view! { <td>{rollback}</td> })}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn VersionSelect(
    name: &'static str,
    label: &'static str,
    versions: Vec<VersionOption>,
    selected: String,
) -> impl IntoView {
    let id = format!("compare-{name}");
    view! {
        <div class="field">
            <label for=id.clone() class="field-label">{label}</label>
            <select id=id name=name>
                {versions
                    .into_iter()
                    .map(|v| {
                        let is = v.content_hash == selected;
                        view! { <option value=v.content_hash selected=is>{v.label}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn Diff(d: DiffView) -> impl IntoView {
    let caption = format!(
        "Lines of {} (left) and {} (right): {} added, {} removed",
        d.from.chars().take(12).collect::<String>(),
        d.to.chars().take(12).collect::<String>(),
        d.added,
        d.removed
    );
    view! {
        <div class="table-wrap">
            <table class="diff">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Old line"</th>
                        <th scope="col">"Older version"</th>
                        <th scope="col">"New line"</th>
                        <th scope="col">"Newer version"</th>
                    </tr>
                </thead>
                <tbody>{d.rows.into_iter().map(|r| view! { <DiffLine r /> }).collect_view()}</tbody>
            </table>
        </div>
    }
}

#[component]
fn DiffLine(r: DiffRow) -> impl IntoView {
    let class = match r.kind {
        DiffKind::Same => "diff-same",
        DiffKind::Removed => "diff-removed",
        DiffKind::Added => "diff-added",
        DiffKind::Changed => "diff-changed",
    };
    let marked = r.kind != DiffKind::Same;
    let (old_no, old) = split(r.old);
    let (new_no, new) = split(r.new);
    view! {
        <tr class=class>
            <td class="diff-no">{old_no}</td>
            <td class="diff-text">
                {match old {
                    Some(t) if marked => view! { <del><span class="diff-sign">"- "</span>{t}</del> }.into_any(),
                    Some(t) => view! { <span class="diff-sign">"  "</span>{t} }.into_any(),
                    None => ().into_any(),
                }}
            </td>
            <td class="diff-no">{new_no}</td>
            <td class="diff-text">
                {match new {
                    Some(t) if marked => view! { <ins><span class="diff-sign">"+ "</span>{t}</ins> }.into_any(),
                    Some(t) => view! { <span class="diff-sign">"  "</span>{t} }.into_any(),
                    None => ().into_any(),
                }}
            </td>
        </tr>
    }
}

fn split(side: Option<(usize, String)>) -> (Option<String>, Option<String>) {
    match side {
        Some((n, t)) => (Some(n.to_string()), Some(t)),
        None => (None, None),
    }
}

#[component]
fn Rollout(r: RolloutView, base: String, may_manage: bool) -> impl IntoView {
    let current = match &r.teams {
        None => "Everyone".to_string(),
        Some(teams) => format!("Early-adopter teams: {}", teams.join(", ")),
    };
    let value = r
        .teams
        .as_ref()
        .map_or_else(|| "all".to_string(), |t| t.join(", "));
    view! {
        <section class="box rollout" aria-labelledby="rollout-heading">
            <h2 id="rollout-heading">"Rollout"</h2>
            <p>"Visible to: " <strong>{current}</strong></p>
            <div class="table-wrap">
                <table class="adoption">
                    <caption>{format!("Adoption over the last {ADOPTION_DAYS} days")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Team"</th>
                            <th scope="col">"Requests"</th>
                            <th scope="col">"People"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {r.adoption.is_empty().then(|| view! { <tr><td colspan="3" class="muted">"No requests yet."</td></tr> })}
                        {r.adoption
                            .into_iter()
                            .map(|a| view! {
                                <tr>
                                    <th scope="row">{a.team.unwrap_or_else(|| "(no team)".to_string())}</th>
                                    <td>{a.requests}</td>
                                    <td>{a.requesters}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            {may_manage.then(|| view! {
                <form method="post" action=format!("{base}/rollout") class="request-form">
                    <div class="field">
                        <label for="rollout-teams" class="field-label">"Teams"</label>
                        <p id="rollout-teams-help" class="help">"`all` for everyone, or early-adopter teams separated by commas."</p>
                        <input id="rollout-teams" type="text" name="visible_to" value=value required aria-describedby="rollout-teams-help" />
                    </div>
                    <div class="field">
                        <label for="rollout-note" class="field-label">"Note"</label>
                        <input id="rollout-note" type="text" name="note" maxlength="500" placeholder="Optional: says who it now reaches when empty" />
                    </div>
                    <button type="submit" class="primary">"Change rollout"</button>
                </form>
            })}
        </section>
    }
}

#[component]
fn Lifecycle(l: LifecycleView, base: String, may_manage: bool) -> impl IntoView {
    let replacement_id = l
        .replacement
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    view! {
        <section class="box lifecycle" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">"Lifecycle"</h2>
            <dl>
                <dt>"Status"</dt>
                <dd>{l.status.as_str()}</dd>
                {l.replacement.map(|r| view! {
                    <dt>"Replacement"</dt>
                    <dd><a href=format!("/actions/{}", r.id)>{r.title}</a></dd>
                })}
                {l.note.map(|n| view! { <dt>"Note"</dt><dd>{n}</dd> })}
            </dl>
            {may_manage.then(|| view! {
                <form method="post" action=format!("{base}/lifecycle") class="request-form">
                    <div class="field">
                        <label for="lifecycle-status" class="field-label">"Status"</label>
                        <select id="lifecycle-status" name="status">
                            {[LifecycleStatus::Active, LifecycleStatus::Deprecated, LifecycleStatus::Retired]
                                .into_iter()
                                .map(|s| view! { <option value=s.as_str() selected=s == l.status>{s.as_str()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="lifecycle-replacement" class="field-label">"Replacement"</label>
                        <input id="lifecycle-replacement" type="text" name="replacement" value=replacement_id />
                    </div>
                    <div class="field">
                        <label for="lifecycle-note" class="field-label">"Note"</label>
                        <input id="lifecycle-note" type="text" name="note" maxlength="500" />
                    </div>
                    <button type="submit" class="primary">"Change lifecycle"</button>
                </form>
            })}
        </section>
    }
}
