//! Development sign-in: demo users for the embedded default, when no OpenID Provider is configured.
//!
//! Never offered in production: `runway serve` refuses it on a non-loopback address unless
//! `auth.allow_dev_sign_in_on_network` is set.

/// The issuer recorded for demo users, so they can never collide with real SSO identities.
pub const DEV_ISSUER: &str = "runway:dev";

/// One demo user and the groups the development "provider" vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoUser {
    /// The subject, also the value posted by the sign-in form.
    pub login: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    /// What the user is for, shown on the sign-in page.
    pub description: &'static str,
    pub groups: &'static [&'static str],
}

pub const DEMO_USERS: [DemoUser; 8] = [
    DemoUser {
        login: "dana",
        name: "Dana Developer",
        email: "dana@example.com",
        description: "developer in the payments team",
        groups: &["payments"],
    },
    DemoUser {
        login: "lee",
        name: "Lee Lead",
        email: "lee@example.com",
        description: "lead of the payments team",
        groups: &["payments-leads"],
    },
    DemoUser {
        login: "pia",
        name: "Pia Payments",
        email: "pia@example.com",
        description: "developer in the payments team",
        groups: &["payments"],
    },
    DemoUser {
        login: "raj",
        name: "Raj Payments",
        email: "raj@example.com",
        description: "developer in the payments team",
        groups: &["payments"],
    },
    DemoUser {
        login: "kai",
        name: "Kai Payments",
        email: "kai@example.com",
        description: "developer in the payments team",
        groups: &["payments"],
    },
    DemoUser {
        login: "sam",
        name: "Sam Searcher",
        email: "sam@example.com",
        description: "developer in the search team",
        groups: &["search"],
    },
    DemoUser {
        login: "sol",
        name: "Sol Security",
        email: "sol@example.com",
        description: "security team member (approves access requests, fulfils security actions)",
        groups: &["security"],
    },
    DemoUser {
        login: "ada",
        name: "Ada Admin",
        email: "ada@example.com",
        description: "admin on the platform team",
        groups: &["platform", "platform-admins"],
    },
];

pub fn find(login: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.login == login)
}
