//! Groups tickets that ask for the same thing.
//!
//! Each title is normalised ([`crate::normalize`]); words seen in fewer than `min_df` tickets (names,
//! one-off hosts) count as varying parts. A ticket's *signature* is its set of remaining words.
//! Signatures are visited from the most common down (ties by their text, so input order never
//! matters), and each joins the existing group whose leading signature it resembles most, by a
//! weighted Jaccard similarity where a word weighs `ln(1 + df)`: common words (what is asked) count
//! more than rare ones (who asked), so "new starter jane doe" and "new starter mary jones" meet on
//! "new starter", while "create repo" and "delete repo" stay apart. An inverted index from word to
//! group keeps this to a few seconds at a million tickets on two cores.
//!
//! A group's id is a hash of its core words (its template words), so the same data
//! gives the same ids, and decisions stored against an id find their group again after a re-import.

mod corpus;

use crate::normalize::Placeholder;
use crate::ticket::Ticket;
use corpus::Corpus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// A group's stable id (`g-` and 12 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupId(pub String);

impl GroupId {
    /// The id for a description of a group (its core words, or a parent id and a split word).
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> GroupId {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        GroupId(format!("g-{}", hex::encode(&hasher.finalize()[..6])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One position of a group's template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Word(String),
    /// A part that varies between the group's tickets: a masked placeholder, or words that are not
    /// shared (names). Shown as `<*>`.
    Varies(Option<Placeholder>),
}

/// The shape of a group's titles: `new starter <*>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Template(pub Vec<Part>);

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match part {
                Part::Word(w) => f.write_str(w)?,
                Part::Varies(_) => f.write_str("<*>")?,
            }
        }
        Ok(())
    }
}

/// A group of tickets asking for the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub template: Template,
    /// The most distinctive words, best first.
    pub words: Vec<String>,
    /// Indices into the ticket slice, ascending.
    pub members: Vec<u32>,
    /// A name a person gave it (a rename decision).
    pub label: Option<String>,
    /// A person marked it "not automatable".
    pub dismissed: bool,
}

impl Group {
    /// What to call the group: the name a person gave it, else its template.
    pub fn label(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| self.template.to_string())
    }
}

/// Tuning of the grouping; the defaults are what `runway tickets analyze` uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// Weighted similarity a signature needs to join a group.
    pub threshold: f64,
    /// Words in fewer tickets than this are varying parts.
    pub min_df: u32,
    /// Also read the kept first lines of the description.
    pub use_description: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            min_df: 2,
            use_description: false,
        }
    }
}

/// One signature: its sorted word ids, its text (for ordering), its tickets.
struct Signature {
    ids: Vec<u32>,
    text: String,
    weight: f64,
    tickets: Vec<u32>,
}

/// Groups `tickets`; the result is ordered by size (largest first), then id.
pub fn cluster(tickets: &[Ticket], options: &Options) -> Vec<Group> {
    let corpus = Corpus::new(tickets, options.use_description);
    let mut by_signature: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
    for (i, seq) in corpus.sequences.iter().enumerate() {
        let mut ids: Vec<u32> = seq
            .iter()
            .copied()
            .filter(|&id| Corpus::is_word(id) && corpus.df[id as usize] >= options.min_df)
            .collect();
        if ids.is_empty() {
            // Only rare words: a request seen once is its own signature (not lumped with every
            // other one-off).
            ids = seq
                .iter()
                .copied()
                .filter(|&id| Corpus::is_word(id))
                .collect();
        }
        if ids.is_empty() {
            // Nothing but placeholders: group by the placeholders' shape.
            ids = seq.to_vec();
        }
        ids.sort_unstable();
        ids.dedup();
        by_signature.entry(ids).or_default().push(i as u32);
    }
    let mut signatures: Vec<Signature> = by_signature
        .into_iter()
        .map(|(ids, tickets)| {
            let mut words: Vec<&str> = ids.iter().map(|&id| corpus.vocabulary.word(id)).collect();
            words.sort_unstable();
            Signature {
                weight: ids.iter().map(|&id| corpus.weight(id)).sum(),
                text: words.join(" "),
                ids,
                tickets,
            }
        })
        .collect();
    signatures.sort_by(|a, b| {
        b.tickets
            .len()
            .cmp(&a.tickets.len())
            .then_with(|| a.text.cmp(&b.text))
    });

    // Leader clustering over the signatures.
    let mut leaders: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut overlap: Vec<f64> = Vec::new();
    let mut touched: Vec<u32> = Vec::new();
    for (s, sig) in signatures.iter().enumerate() {
        for &id in &sig.ids {
            let w = corpus.weight(id);
            for &g in postings.get(&id).map_or(&[][..], Vec::as_slice) {
                if overlap[g as usize] == 0.0 {
                    touched.push(g);
                }
                overlap[g as usize] += w;
            }
        }
        let mut best: Option<(f64, u32)> = None;
        for &g in &touched {
            let shared = overlap[g as usize];
            let leader = &signatures[leaders[g as usize]];
            let union = sig.weight + leader.weight - shared;
            let similarity = if union > 0.0 { shared / union } else { 0.0 };
            let better = match best {
                None => true,
                Some((b, bg)) => similarity > b || (similarity == b && g < bg),
            };
            if better {
                best = Some((similarity, g));
            }
        }
        for &g in &touched {
            overlap[g as usize] = 0.0;
        }
        touched.clear();
        match best {
            Some((similarity, g)) if similarity >= options.threshold => {
                members[g as usize].push(s);
            }
            _ => {
                let g = leaders.len() as u32;
                leaders.push(s);
                members.push(vec![s]);
                overlap.push(0.0);
                for &id in &sig.ids {
                    postings.entry(id).or_default().push(g);
                }
            }
        }
    }

    let mut groups: Vec<Group> = members
        .into_iter()
        .map(|sigs| {
            let mut tickets: Vec<u32> = sigs
                .iter()
                .flat_map(|&s| signatures[s].tickets.iter().copied())
                .collect();
            tickets.sort_unstable();
            let (template, words) = corpus.describe(&tickets);
            Group {
                id: GroupId(String::new()),
                template,
                words,
                members: tickets,
                label: None,
                dismissed: false,
            }
        })
        .collect();
    assign_ids(&mut groups);
    groups.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.id.cmp(&b.id))
    });
    groups
}

/// Ids from each group's core words (its template's words); two groups with the same words are
/// told apart by their order, which is itself fixed by the data.
fn assign_ids(groups: &mut [Group]) {
    let mut used: HashMap<GroupId, u32> = HashMap::new();
    for g in groups.iter_mut() {
        let mut words: Vec<String> = g
            .template
            .0
            .iter()
            .map(|p| match p {
                Part::Word(w) => w.clone(),
                Part::Varies(Some(p)) => p.as_str().to_string(),
                Part::Varies(None) => "<*>".to_string(),
            })
            .collect();
        words.sort_unstable();
        let base = GroupId::from_parts(words.iter().map(String::as_str));
        let n = used.entry(base.clone()).or_default();
        *n += 1;
        g.id = if *n == 1 {
            base
        } else {
            let nth = n.to_string();
            GroupId::from_parts([base.as_str(), nth.as_str()])
        };
    }
}

#[cfg(test)]
mod tests;
