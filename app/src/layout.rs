//! The frame around every page.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <a class="brand" href="/">"Runway"</a>
                <nav class="main-nav" aria-label="Main">
                    <ul>
                        <li>
                            <A href="/" exact=true>"Catalogue"</A>
                        </li>
                        <li>
                            <A href="/admin/catalog">"Catalogue health"</A>
                        </li>
                    </ul>
                </nav>
                <div class="user-area">
                    <span class="dev-badge" title="Sign-in with your company's SSO arrives with the next release">
                        "Development mode"
                    </span>
                </div>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">
                <p class="muted">
                    "Runway: self-service for your platform. Missing something? Ask the platform team to add it to the catalogue."
                </p>
            </div>
        </footer>
    }
}
