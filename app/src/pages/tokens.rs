//! The API tokens page (`/settings/tokens`): make a personal token, or a service token for a team
//! the caller leads; see when each was last used and from where; revoke. A new token is shown once,
//! by the answer to the form post (see `server::tokens`).

use crate::api::tokens::get_tokens;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::token::{Scope, TokenKind, TokenView, TokensPage};

#[component]
pub fn TokensPageView() -> impl IntoView {
    let query = use_query_map();
    let revoked = move || query.read().get("revoked").is_some();
    let data = crate::resource::load(|| (), |_| get_tokens());
    view! {
        <Title text="API tokens" />
        <section class="tokens-page">
            <h1>"API tokens"</h1>
            <p>
                "Tokens let scripts, CI jobs and the "<code>"runway"</code>" command line use Runway's API as you (personal tokens) or as a team's service (service tokens). "
                "A token never has more rights than its owner has at the time of use, and its scopes narrow them further. "
                <a href="/api/v1/docs" rel="external">"API reference"</a>
            </p>
            {move || revoked().then(|| view! { <p class="notice" role="status">"The token was revoked. Calls with it are refused from now on."</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <Tokens page /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Tokens(page: TokensPage) -> impl IntoView {
    let service_teams = page.service_teams.clone();
    view! {
        <section aria-labelledby="new-personal">
            <h2 id="new-personal">"New personal token"</h2>
            <form method="post" action="/settings/tokens" class="request-form" data-testid="new-token">
                <NewTokenFields default_days=page.default_days max_days=page.max_days approve=true />
                <button type="submit" class="primary">"Create token"</button>
            </form>
        </section>
        <TokenTable title="Your tokens" id="personal-tokens" tokens=page.personal.clone() />
        {(!service_teams.is_empty()).then(|| view! {
            <section aria-labelledby="new-service">
                <h2 id="new-service">"New service token"</h2>
                <p class="muted">"For bots and CI: it acts as a service account that is a member of the team (never a lead or an admin), so it cannot approve. Requests it makes show as made by the service for the team."</p>
                <form method="post" action="/settings/tokens/service" class="request-form" data-testid="new-service-token">
                    <div class="field">
                        <label for="service-team">"Team"</label>
                        <select id="service-team" name="team" required>
                            {service_teams.iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <NewTokenFields default_days=page.default_days max_days=page.max_days approve=false />
                    <button type="submit" class="primary">"Create service token"</button>
                </form>
            </section>
        })}
        {(!page.service.is_empty()).then(|| view! {
            <TokenTable title="Service tokens" id="service-tokens" tokens=page.service.clone() />
        })}
        {(!page.others.is_empty()).then(|| view! {
            <p class="muted">"As an admin, you see everyone's usable personal tokens (newest 500), to revoke one that leaked or whose owner left."</p>
            <TokenTable title="Everyone's personal tokens" id="others-tokens" tokens=page.others.clone() />
        })}
    }
}

#[component]
fn NewTokenFields(default_days: u32, max_days: u32, approve: bool) -> impl IntoView {
    let prefix = if approve { "pat" } else { "svc" };
    view! {
        <div class="field">
            <label for=format!("{prefix}-name")>"Name"</label>
            <input id=format!("{prefix}-name") name="name" type="text" required maxlength="80" placeholder="ci-deploy" />
            <p class="help">"Where the token is used, so you recognise it later."</p>
        </div>
        <fieldset class="field">
            <legend>"Scopes"</legend>
            {Scope::ALL.into_iter().filter(|s| approve || *s != Scope::Approve).map(|s| {
                let id = format!("{prefix}-scope-{}", s.as_str());
                view! {
                    <div class="check">
                        <input id=id.clone() type="checkbox" name="scopes" value=s.as_str() checked={s == Scope::Read} />
                        <label for=id>{format!("{}: {}", s.as_str(), s.describe())}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <div class="field">
            <label for=format!("{prefix}-days")>"Expires after (days)"</label>
            <input id=format!("{prefix}-days") name="days" type="number" min="1" max=max_days.to_string() value=default_days.to_string() required />
            <p class="help">{format!("At most {max_days} days.")}</p>
        </div>
    }
}

#[component]
fn TokenTable(title: &'static str, id: &'static str, tokens: Vec<TokenView>) -> impl IntoView {
    let empty = tokens.is_empty();
    view! {
        <section aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {if empty {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="fields" data-testid=id>
                            <thead><tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Token"</th>
                                <th scope="col">"Scopes"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col">"State"</th>
                                <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                            </tr></thead>
                            <tbody>
                                {tokens.into_iter().map(|t| view! { <TokenRow t /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

fn day(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

#[component]
fn TokenRow(t: TokenView) -> impl IntoView {
    let state = if t.revoked_at.is_some() {
        "revoked"
    } else if t.expired {
        "expired"
    } else {
        "active"
    };
    let name = match (&t.kind, &t.team) {
        (TokenKind::Service, Some(team)) => format!("{} ({team})", t.name),
        _ => t.name.clone(),
    };
    let last = match (&t.last_used_at, &t.last_used_ip) {
        (Some(at), Some(ip)) => {
            format!("{} from {ip}", at.replace('T', " ").get(..16).unwrap_or(at))
        }
        (Some(at), None) => day(at),
        _ => "never".to_string(),
    };
    let label = format!("Revoke {}", t.name);
    view! {
        <tr data-token=t.id.to_string()>
            <td>{name}</td>
            <td><code>{format!("{}…", t.prefix)}</code></td>
            <td>{t.scopes.to_string()}</td>
            <td>{format!("{} by {}", day(&t.created_at), t.created_by)}</td>
            <td>{day(&t.expires_at)}</td>
            <td>{last}</td>
            <td>{state}</td>
            <td>
                {(state == "active").then(|| view! {
                    <form method="post" action=format!("/settings/tokens/{}/revoke", t.id)>
                        <button type="submit" aria-label=label.clone()>"Revoke"</button>
                    </form>
                })}
            </td>
        </tr>
    }
}
