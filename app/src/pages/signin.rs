//! Sign-in: with the company's SSO, or (development mode only) as a demo user.

use crate::api::{sign_in_options, SignInMode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::view::encode_query_value;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/'))
            .unwrap_or_else(|| "/".to_string())
    };
    let message = move || {
        let q = query.read();
        if q.get("signed_out").is_some() {
            Some(("notice status-ok", "You are signed out."))
        } else {
            q.get("error").map(|e| match e.as_str() {
                "expired" => ("notice notice-error", "That sign-in link expired or was already used. Please sign in again."),
                "provider" => ("notice notice-error", "The sign-in service cannot be reached right now. Please try again in a moment."),
                "refused" => ("notice notice-error", "The sign-in service refused the sign-in."),
                _ => ("notice notice-error", "Sign-in failed. Please try again."),
            })
        }
    };
    let options = crate::resource::load(|| (), |_| sign_in_options());
    view! {
        <Title text="Sign in" />
        <section class="signin">
            <h1>"Sign in to Runway"</h1>
            {move || message().map(|(class, text)| view! { <p class=class role="status">{text}</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Ok(SignInMode::Sso) => view! {
                            <p class="lead">"Use your company account."</p>
                            // rel=external: a full page load to the server route, not client-side routing.
                            <a class="button" rel="external" href=format!("/auth/login?next={}", encode_query_value(&next()))>
                                "Sign in with SSO"
                            </a>
                        }.into_any(),
                        Ok(SignInMode::Development(users)) => view! {
                            <p class="notice notice-error" role="note">
                                <strong>"Development sign-in. "</strong>
                                "No identity provider is configured, so anyone can pick a demo user. Configure "
                                <code>"auth.issuer"</code>
                                " before real people use this portal."
                            </p>
                            <ul class="demo-users">
                                {users.into_iter().map(|u| view! {
                                    <li>
                                        <form method="post" action="/auth/dev-login">
                                            <input type="hidden" name="login" value=u.login.clone() />
                                            <input type="hidden" name="next" value=next() />
                                            <button type="submit" data-login=u.login>
                                                {format!("Sign in as {}", u.name)}
                                            </button>
                                            <span class="muted">{format!(" {}", u.description)}</span>
                                        </form>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
