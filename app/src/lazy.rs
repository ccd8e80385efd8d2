//! The pages a developer seldom opens (settings, inboxes, the team page) and the pages only admins
//! and team leads use, loaded in the browser only when opened.
//!
//! Each is a [`LazyRoute`]: `#[lazy_route]` puts its view (and everything only it reaches, such
//! as the catalogue editor's YAML parser and the Impact charts) into its own WebAssembly module,
//! which `scripts/build-site` splits out of the main one (`runway-wasm-split`). A developer's
//! everyday pages (the catalogue, an action's form, a request, history, sign-in) stay in the main
//! module, so opening them downloads none of this code. On the server these are plain calls. A page rendered on the
//! server hydrates once its module has arrived (`hydrate_lazy` in the front end), and names that
//! module and its loader in its `<head>` for the browser to fetch early
//! ([`crate::LazyModules::name_in_head`]).

use crate::pages;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $page:path) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                use $page as Page;
                #[cfg(feature = "ssr")]
                crate::LazyModules::name_in_head(stringify!($name));
                view! { <Page /> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/actions/:id/edit`.
    EditAction => pages::editor::EditActionPage
);
lazy_page!(
    /// `/catalog/new`.
    NewAction => pages::editor::NewActionPage
);
lazy_page!(
    /// `/actions/:id/history`.
    ActionHistory => pages::action_history::ActionHistoryPage
);
lazy_page!(
    /// `/admin/catalog`.
    CatalogHealth => pages::health::CatalogHealthPage
);
lazy_page!(
    /// `/admin/audit`.
    Audit => pages::audit::AuditPageView
);
lazy_page!(
    /// `/admin/discover`.
    Discover => pages::discover::DiscoverPage
);
lazy_page!(
    /// `/admin/discover/map`.
    DiscoverMap => pages::discover_map::DiscoverMapPage
);
lazy_page!(
    /// `/impact`.
    Impact => pages::impact::ImpactPage
);
lazy_page!(
    /// `/teams/:team`.
    Team => pages::team::TeamPageView
);
lazy_page!(
    /// `/inbox`: the owning team's fulfilment inbox.
    Inbox => pages::inbox::InboxPage
);
lazy_page!(
    /// `/approvals`.
    Approvals => pages::inbox::ApprovalsPage
);
lazy_page!(
    /// `/pulse`.
    Pulse => pages::pulse::PulsePage
);
lazy_page!(
    /// `/settings/tokens`.
    Tokens => pages::tokens::TokensPageView
);
lazy_page!(
    /// `/settings/notifications`.
    Notifications => pages::notifications::NotificationsPageView
);
