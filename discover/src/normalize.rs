//! A ticket's title becomes the words that say what is asked.
//!
//! Lower-cased; the parts that differ from one ticket of a kind to the next (numbers, ids, issue
//! keys, e-mail addresses, URLs, host names, versions, paths, quoted values, `@mentions`) become
//! typed placeholders, so "Reset VPN for build-17" and "reset vpn for build-42" read the same;
//! greetings, politeness and function words ("hi", "please", "can you", "the") are dropped, because
//! they say how people ask, not what they ask for.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a masked part of a title was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    Number,
    Id,
    Key,
    Email,
    Url,
    Host,
    Version,
    Path,
    File,
    Quoted,
    Mention,
}

impl Placeholder {
    pub const ALL: [Placeholder; 11] = [
        Self::Number,
        Self::Id,
        Self::Key,
        Self::Email,
        Self::Url,
        Self::Host,
        Self::Version,
        Self::Path,
        Self::File,
        Self::Quoted,
        Self::Mention,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Number => "<num>",
            Self::Id => "<id>",
            Self::Key => "<key>",
            Self::Email => "<email>",
            Self::Url => "<url>",
            Self::Host => "<host>",
            Self::Version => "<version>",
            Self::Path => "<path>",
            Self::File => "<file>",
            Self::Quoted => "<quoted>",
            Self::Mention => "<mention>",
        }
    }
}

/// One token of a normalised title.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Token {
    Word(String),
    Slot(Placeholder),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::Slot(p) => f.write_str(p.as_str()),
        }
    }
}

/// Words that say how people ask, not what they ask for.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "anyone", "are", "as", "asap", "at",
    "be", "been", "but", "by", "can", "could", "dear", "do", "does", "for", "from", "fw", "fwd",
    "get", "got", "have", "hello", "help", "hey", "hi", "how", "i", "i'm", "im", "in", "into",
    "is", "it", "its", "just", "kindly", "let", "like", "me", "my", "need", "needed", "needs",
    "of", "on", "or", "our", "please", "pls", "plz", "re", "regards", "so", "some", "thank",
    "thanks", "that", "the", "there", "this", "thx", "to", "urgent", "us", "want", "wanted", "we",
    "what", "when", "will", "with", "would", "you", "your",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

const FILE_EXTENSIONS: &[&str] = &[
    "cfg", "conf", "csv", "gz", "ini", "java", "jpg", "js", "json", "log", "md", "pdf", "png",
    "py", "rs", "sh", "sql", "tar", "tf", "toml", "ts", "txt", "xml", "yaml", "yml", "zip",
];

/// The tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_word_start = i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(';
        if let Some(close) = closing_quote(c, at_word_start) {
            // A quoted value ends at its closing quote within a short distance; a lone quote is
            // just punctuation.
            if let Some(len) = chars[i + 1..].iter().take(120).position(|&d| d == close) {
                if close != '\'' || ends_word(chars.get(i + len + 2).copied()) {
                    chunks(&plain, &mut out);
                    plain.clear();
                    out.push(Token::Slot(Placeholder::Quoted));
                    i += len + 2;
                    continue;
                }
            }
        }
        plain.push(c);
        i += 1;
    }
    chunks(&plain, &mut out);
    out
}

fn closing_quote(c: char, at_word_start: bool) -> Option<char> {
    match c {
        '"' | '`' => Some(c),
        '“' => Some('”'),
        '‘' => Some('’'),
        '«' => Some('»'),
        // An apostrophe inside a word ("don't") opens nothing.
        '\'' if at_word_start => Some('\''),
        _ => None,
    }
}

fn ends_word(next: Option<char>) -> bool {
    next.is_none_or(|c| !c.is_alphanumeric())
}

/// Splits unquoted text on white space and classifies each chunk.
fn chunks(text: &str, out: &mut Vec<Token>) {
    for chunk in text.split_whitespace() {
        let chunk = chunk.trim_matches(|c: char| {
            !(c.is_alphanumeric() || c == '@' || c == '#' || c == '/' || c == '~')
        });
        let chunk = chunk.trim_end_matches(['/', '#', '@']);
        if chunk.is_empty() {
            continue;
        }
        match classify(chunk) {
            Some(p) => out.push(Token::Slot(p)),
            None => words(chunk, out),
        }
    }
}

/// The placeholder a whole chunk stands for, if it is one.
fn classify(chunk: &str) -> Option<Placeholder> {
    let lower = chunk.to_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return Some(Placeholder::Url);
    }
    if let Some(rest) = lower.strip_prefix('@') {
        return (!rest.is_empty()).then_some(Placeholder::Mention);
    }
    if let Some((user, domain)) = lower.split_once('@') {
        if !user.is_empty() && domain.contains('.') {
            return Some(Placeholder::Email);
        }
    }
    if lower.starts_with('/') || lower.starts_with("~/") {
        return Some(Placeholder::Path);
    }
    if let Some(n) = lower.strip_prefix('#') {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Placeholder::Number);
        }
    }
    if is_issue_key(chunk) {
        return Some(Placeholder::Key);
    }
    if is_uuid_or_hex(&lower) {
        return Some(Placeholder::Id);
    }
    if lower.contains('.') {
        let parts: Vec<&str> = lower.split('.').collect();
        let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if parts.len() == 4 && parts.iter().all(numeric) {
            return Some(Placeholder::Host);
        }
        if is_version(&lower) {
            return Some(Placeholder::Version);
        }
        let hostish = parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if hostish {
            let last = parts[parts.len() - 1];
            if FILE_EXTENSIONS.contains(&last) {
                return Some(Placeholder::File);
            }
            if (2..=12).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_lowercase()) {
                return Some(Placeholder::Host);
            }
        }
    }
    None
}

/// `ABC-123`: letters (then letters or digits), a hyphen, digits; upper case as Jira writes it.
fn is_issue_key(chunk: &str) -> bool {
    let Some((project, number)) = chunk.split_once('-') else {
        return false;
    };
    let mut p = project.chars();
    p.next().is_some_and(|c| c.is_ascii_uppercase())
        && p.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && project.len() <= 10
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn is_uuid_or_hex(lower: &str) -> bool {
    let hex_only = lower.replace('-', "");
    let is_hex = !hex_only.is_empty() && hex_only.bytes().all(|b| b.is_ascii_hexdigit());
    let has_digit = hex_only.bytes().any(|b| b.is_ascii_digit());
    let has_letter = hex_only.bytes().any(|b| b.is_ascii_alphabetic());
    (is_hex && lower.len() == 36 && lower.matches('-').count() == 4)
        || (is_hex && !lower.contains('-') && lower.len() >= 7 && has_digit && has_letter)
}

/// `1.2`, `v1.2.3`, `2.311.0-beta`.
fn is_version(lower: &str) -> bool {
    let core = lower.strip_prefix('v').unwrap_or(lower);
    let core = core.split(['-', '+']).next().unwrap_or(core);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits a chunk into words on punctuation, masking numbers and number-heavy ids.
fn words(chunk: &str, out: &mut Vec<Token>) {
    for word in chunk.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let word = word.trim_matches('\'').to_lowercase();
        if word.is_empty() {
            continue;
        }
        let digits = word.bytes().filter(u8::is_ascii_digit).count();
        if digits == word.len() {
            out.push(Token::Slot(Placeholder::Number));
        } else if digits >= 2 && word.chars().count() >= 4 {
            // `db01`, `jdoe42`, `ticket2024`: an instance, not a kind. (`s3`, `k8s`, `ec2`,
            // `oauth2` keep their one digit and stay words.)
            out.push(Token::Slot(Placeholder::Id));
        } else if word.chars().count() == 1 || is_stop_word(&word) {
            // Single letters are initials ("J. Smith") or list markers.
            continue;
        } else {
            out.push(Token::Word(word));
        }
    }
}

/// The tokens as text, one space apart (for labels and tests).
pub fn text(tokens: &[Token]) -> String {
    let parts: Vec<String> = tokens.iter().map(ToString::to_string).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        text(&tokens(s))
    }

    #[test]
    fn stop_words_are_sorted_for_the_binary_search() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
    }

    #[test]
    fn greetings_and_politeness_are_dropped_and_the_request_kept() {
        assert_eq!(
            norm("Hi team, can you please create a new repo? Thanks!"),
            "team create new repo"
        );
        assert_eq!(norm("Need access to Grafana ASAP"), "access grafana");
    }

    #[test]
    fn numbers_ids_and_keys_are_masked() {
        assert_eq!(
            norm("Reset VPN token for build-agent-17"),
            "reset vpn token build agent <num>"
        );
        assert_eq!(
            norm("Follow-up on PLAT-1234 and #55"),
            "follow up <key> <num>"
        );
        assert_eq!(
            norm("Delete pod 3f2a9c1b in ns db01"),
            "delete pod <id> ns <id>"
        );
        assert_eq!(
            norm("Revoke token 123e4567-e89b-12d3-a456-426614174000"),
            "revoke token <id>"
        );
    }

    #[test]
    fn emails_urls_hosts_versions_paths_and_mentions_are_masked() {
        assert_eq!(
            norm("Add jane.doe@example.com to group"),
            "add <email> group"
        );
        assert_eq!(
            norm("Page https://x.example.com/a?b=1 is down"),
            "page <url> down"
        );
        assert_eq!(
            norm("DNS record for status.example.com"),
            "dns record <host>"
        );
        assert_eq!(norm("Open port on 10.0.3.17"), "open port <host>");
        assert_eq!(
            norm("Upgrade runner to v2.311.0"),
            "upgrade runner <version>"
        );
        assert_eq!(
            norm("Rotate cert in /etc/ssl/app.pem"),
            "rotate cert <path>"
        );
        assert_eq!(norm("Fix config.yaml"), "fix <file>");
        assert_eq!(norm("cc @jdoe please look"), "cc <mention> look");
    }

    #[test]
    fn quoted_values_are_masked_but_apostrophes_are_not_quotes() {
        assert_eq!(
            norm("Create repo \"billing-worker\""),
            "create repo <quoted>"
        );
        assert_eq!(norm("Create repo `billing-worker`"), "create repo <quoted>");
        assert_eq!(norm("Rename 'old name' please"), "rename <quoted>");
        assert_eq!(norm("Can't log in"), "can't log");
    }

    #[test]
    fn names_and_initials_are_words_to_be_judged_by_frequency_later() {
        assert_eq!(
            norm("New starter: J. Smith (finance)"),
            "new starter smith finance"
        );
        assert_eq!(norm("New starter Jane Doe"), "new starter jane doe");
    }

    #[test]
    fn short_product_names_with_a_digit_stay_words() {
        assert_eq!(norm("S3 bucket for k8s logs"), "s3 bucket k8s logs");
    }

    #[test]
    fn odd_input_gives_tokens_or_nothing_but_never_panics() {
        assert_eq!(norm(""), "");
        assert_eq!(norm("\"unterminated"), "unterminated");
        assert_eq!(norm("é à 😀 “quoted”"), "<quoted>");
        assert_eq!(norm("@ # / ~"), "");
    }
}
