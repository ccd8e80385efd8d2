//! Generated ticket exports with known groups, for tests and `runway bench tickets`.
//!
//! Twenty kinds of request, each written several ways with varying names, hosts, numbers and
//! versions, plus one-off noise; every ticket records the kind it was generated from, so grouping
//! can be scored against the truth. A fixed seed gives the same tickets every time.

use crate::ticket::Ticket;
use chrono::{DateTime, Duration, TimeZone, Utc};

/// A small deterministic generator (SplitMix64): no dependency, the same sequence everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// A float in `0..1`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const FIRST: &[&str] = &[
    "Jane", "John", "Maria", "Ahmed", "Wei", "Olga", "Carlos", "Priya", "Tom", "Fatima", "Luca",
    "Sofia", "Kenji", "Amara", "Noah", "Emma", "Ivan", "Chloe", "Diego", "Hana",
];
const LAST: &[&str] = &[
    "Doe", "Smith", "Garcia", "Khan", "Zhang", "Petrova", "Silva", "Patel", "Brown", "Haddad",
    "Rossi", "Muller", "Tanaka", "Okafor", "Wilson", "Martin", "Novak", "Dubois", "Lopez", "Kim",
];
const DEPTS: &[&str] = &[
    "finance",
    "sales",
    "legal",
    "marketing",
    "support",
    "research",
];
const SLUGS: &[&str] = &[
    "billing-api",
    "search-indexer",
    "payments-worker",
    "auth-gateway",
    "ledger",
    "notifier",
    "catalog-svc",
    "reports",
    "checkout",
    "inventory",
    "mailer",
    "scheduler",
];
const SYSTEMS: &[&str] = &[
    "Grafana",
    "AWS prod",
    "Kubernetes",
    "PagerDuty",
    "Sentry",
    "Snowflake",
];
const TOOLS: &[&str] = &["node", "postgres", "terraform", "java", "python", "nginx"];
const ENVS: &[&str] = &["prod", "staging", "dev"];
const TEAMS: &[&str] = &[
    "payments", "search", "checkout", "identity", "data", "mobile", "web", "billing", "growth",
    "infra",
];
const NOISE: &[&str] = &[
    "weird",
    "behaviour",
    "question",
    "dashboard",
    "slow",
    "meeting",
    "invite",
    "printer",
    "chair",
    "coffee",
    "feedback",
    "survey",
    "wiki",
    "page",
    "outdated",
    "broken",
    "link",
    "typo",
    "docs",
    "training",
    "budget",
    "invoice",
    "vendor",
    "contract",
    "review",
    "roadmap",
    "offsite",
    "desk",
    "parking",
    "badge",
    "monitor",
    "keyboard",
    "headset",
    "calendar",
    "room",
    "booking",
    "travel",
    "expense",
    "policy",
    "holiday",
];

/// The kinds of request, each with its ways of being written (`{first}`, `{last}`, `{slug}`, ...
/// are filled at random), its relative frequency, and its median hours to resolve.
const KINDS: &[(&str, &[&str], u32, f64)] = &[
    (
        "onboarding",
        &[
            "New starter {first} {last}",
            "New starter: {initial}. {last} ({dept})",
            "new starter {first} {last}, {dept}",
        ],
        30,
        40.0,
    ),
    (
        "access",
        &[
            "Access to {system} for {first} {last}",
            "Please grant access to {system} ({env})",
            "Need access to {system} for {email}",
        ],
        26,
        20.0,
    ),
    (
        "repo",
        &[
            "Create repo {slug}",
            "Please create repo {slug} for team {team}",
            "Create a new repo: {slug}",
        ],
        22,
        30.0,
    ),
    (
        "password",
        &[
            "Reset password for {email}",
            "Password reset for {first} {last}",
            "password reset {user}",
        ],
        20,
        2.0,
    ),
    (
        "vpn",
        &[
            "Reset VPN token for {host}",
            "VPN token reset for {first}",
            "Reset VPN token {user}",
        ],
        16,
        4.0,
    ),
    (
        "dns",
        &[
            "Add DNS record for {host}",
            "DNS record for {host} please",
            "Add DNS record {host} -> {ip}",
        ],
        14,
        24.0,
    ),
    (
        "tls",
        &[
            "Renew TLS certificate for {host}",
            "TLS certificate renewal {host}",
            "Renew the TLS certificate on {host} before {date}",
        ],
        12,
        48.0,
    ),
    (
        "database",
        &[
            "Create database for {slug} in {env}",
            "Create Postgres database {slug}",
            "Create database {slug}_{n}",
        ],
        11,
        72.0,
    ),
    (
        "quota",
        &[
            "Increase CPU quota for {team} in {env}",
            "CPU quota increase for team {team}",
            "Increase CPU quota {team}",
        ],
        10,
        8.0,
    ),
    (
        "firewall",
        &[
            "Open firewall port {n} from {ip} to {host}",
            "Firewall port {n} to {host}",
            "Open firewall port {n} on {host}",
        ],
        9,
        96.0,
    ),
    (
        "upgrade",
        &[
            "Upgrade {tool} to {version}",
            "Upgrade {tool} to version {version} on {host}",
            "upgrade {tool} {version}",
        ],
        8,
        120.0,
    ),
    (
        "namespace",
        &[
            "Create Kubernetes namespace {slug}",
            "Create Kubernetes namespace {slug}-{env}",
            "Kubernetes namespace for {slug}",
        ],
        7,
        16.0,
    ),
    (
        "license",
        &[
            "IntelliJ license for {first} {last}",
            "IntelliJ license {email}",
            "Need an IntelliJ license for {first}",
        ],
        6,
        30.0,
    ),
    (
        "group",
        &[
            "Add {email} to mailing list {dept}",
            "Add {first} {last} to mailing list {dept}-all",
            "Mailing list {dept}: add {email}",
        ],
        6,
        6.0,
    ),
    (
        "backup",
        &[
            "Restore backup of {slug} from {date}",
            "Restore {slug} backup from {date}",
            "Restore backup {slug} {env}",
        ],
        5,
        10.0,
    ),
    (
        "bucket",
        &[
            "Create S3 bucket {slug}-{env}",
            "New S3 bucket for {slug}",
            "Create S3 bucket {slug}",
        ],
        5,
        12.0,
    ),
    (
        "pipeline",
        &[
            "Pipeline failing on {slug} build #{n}",
            "Build #{n} of {slug}: pipeline failing",
            "Pipeline failing for {slug}",
        ],
        5,
        5.0,
    ),
    (
        "laptop",
        &[
            "Laptop replacement for {first} {last}",
            "Laptop replacement {first}",
            "Replacement laptop for {first} {last} ({dept})",
        ],
        4,
        60.0,
    ),
    (
        "secret",
        &[
            "Rotate secret {slug}-key in {env}",
            "Rotate the {slug} secret",
            "Rotate secret for {slug} ({env})",
        ],
        4,
        3.0,
    ),
    (
        "offboarding",
        &[
            "Leaver {first} {last}",
            "Leaver: {first} {last} ({dept})",
            "leaver {initial}. {last}",
        ],
        3,
        24.0,
    ),
];

/// The kind names, indexed as [`Generated::kinds`] refers to them; the last is noise.
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.0).chain(["noise"]).collect()
}

/// Generated tickets and, for each, the index of the kind it was generated from.
pub struct Generated {
    pub tickets: Vec<Ticket>,
    pub kinds: Vec<usize>,
}

/// `n` tickets over the year before 2026-11-01, 5 % of them one-off noise.
pub fn tickets(n: usize, seed: u64) -> Generated {
    let mut rng = Rng::new(seed);
    let total_weight: u32 = KINDS.iter().map(|k| k.2).sum();
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut tickets = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    for i in 0..n {
        let (kind, title, median) = if rng.below(100) < 5 {
            let words: Vec<&str> = (0..4).map(|_| rng.pick(NOISE)).collect();
            (
                KINDS.len(),
                format!("{} {}", words.join(" "), rng.below(1000)),
                24.0,
            )
        } else {
            let mut roll = rng.below(total_weight as usize) as u32;
            let mut k = 0;
            while roll >= KINDS[k].2 {
                roll -= KINDS[k].2;
                k += 1;
            }
            let (_, ways, _, median) = KINDS[k];
            let way = rng.pick(ways);
            (k, fill(way, &mut rng), median)
        };
        let created = start + Duration::minutes(rng.below(365 * 24 * 60) as i64);
        // Log-normal-ish resolve times around the kind's median; a tenth still open.
        let hours = median * (2.0 * rng.unit() + 0.05).powf(1.5);
        let resolved =
            (rng.below(10) > 0).then(|| created + Duration::minutes((hours * 60.0) as i64));
        tickets.push(Ticket {
            key: format!("GEN-{}", i + 1),
            title,
            created,
            resolved,
            team: Some(rng.pick(TEAMS).to_string()),
            labels: Vec::new(),
            components: Vec::new(),
            issue_type: Some("Service Request".to_string()),
            status: Some(if resolved.is_some() { "Done" } else { "Open" }.to_string()),
            description: None,
            reporter: None,
            link: None,
        });
        kinds.push(kind);
    }
    Generated { tickets, kinds }
}

fn fill(way: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(way.len() + 16);
    let mut rest = way;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        let value = match name {
            "first" => rng.pick(FIRST).to_string(),
            "last" => rng.pick(LAST).to_string(),
            "initial" => rng.pick(FIRST).chars().take(1).collect(),
            "dept" => rng.pick(DEPTS).to_string(),
            "slug" => rng.pick(SLUGS).to_string(),
            "system" => rng.pick(SYSTEMS).to_string(),
            "tool" => rng.pick(TOOLS).to_string(),
            "env" => rng.pick(ENVS).to_string(),
            "team" => rng.pick(TEAMS).to_string(),
            "email" => format!("{}.{}@example.com", rng.pick(FIRST), rng.pick(LAST)).to_lowercase(),
            "user" => format!("{}{}", rng.pick(FIRST).to_lowercase(), rng.below(90) + 10),
            "host" => format!(
                "{}-{}.{}.example.com",
                rng.pick(SLUGS),
                rng.below(40),
                rng.pick(ENVS)
            ),
            "ip" => format!(
                "10.{}.{}.{}",
                rng.below(255),
                rng.below(255),
                rng.below(255)
            ),
            "n" => (rng.below(60_000) + 1).to_string(),
            "version" => format!("{}.{}.{}", rng.below(20), rng.below(30), rng.below(10)),
            "date" => format!("2026-{:02}-{:02}", rng.below(12) + 1, rng.below(28) + 1),
            _ => String::new(),
        };
        out.push_str(&value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Writes tickets as a Jira "current fields" CSV export (Jira's own date format), so a benchmark
/// or a demo reads them through the real import.
pub fn write_jira_csv<W: std::io::Write>(tickets: &[Ticket], out: W) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let jira = |d: &DateTime<Utc>| d.format("%d/%b/%y %l:%M %p").to_string().replace("  ", " ");
    w.write_record([
        "Summary",
        "Issue key",
        "Issue Type",
        "Status",
        "Created",
        "Resolved",
        "Custom field (Team)",
        "Labels",
    ])?;
    for t in tickets {
        let resolved = t.resolved.as_ref().map(jira).unwrap_or_default();
        w.write_record([
            t.title.as_str(),
            t.key.as_str(),
            t.issue_type.as_deref().unwrap_or(""),
            t.status.as_deref().unwrap_or(""),
            jira(&t.created).as_str(),
            resolved.as_str(),
            t.team.as_deref().unwrap_or(""),
            t.labels.first().map_or("", String::as_str),
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{open, ImportOptions};

    #[test]
    fn generated_tickets_survive_a_round_trip_through_jira_csv() {
        let data = tickets(500, 9);
        let mut bytes = Vec::new();
        write_jira_csv(&data.tickets, &mut bytes).unwrap();
        let read: Vec<Ticket> = open(&bytes[..], &ImportOptions::default())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(read.len(), 500);
        for (a, b) in data.tickets.iter().zip(&read) {
            assert_eq!((&a.key, &a.title, &a.team), (&b.key, &b.title, &b.team));
            // Jira's format keeps minutes only.
            assert_eq!(a.created.timestamp() / 60, b.created.timestamp() / 60);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_tickets() {
        assert_eq!(tickets(100, 4).tickets, tickets(100, 4).tickets);
    }
}
