//! The tokens of every ticket, interned, with the statistics grouping needs: document frequencies
//! and each word's weight. Also describes a set of tickets as a template and distinctive words.

use super::{Part, Template};
use crate::normalize::{self, Placeholder, Token};
use crate::ticket::Ticket;
use std::collections::HashMap;

/// Interned tokens: placeholders first, then words in order of first sight. Ids depend on input
/// order, so nothing that decides a result compares ids; it compares the words.
pub(super) struct Vocabulary {
    ids: HashMap<String, u32>,
    words: Vec<String>,
}

pub(super) const PLACEHOLDERS: u32 = Placeholder::ALL.len() as u32;

impl Vocabulary {
    fn new() -> Self {
        Self {
            ids: HashMap::new(),
            words: Placeholder::ALL
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        }
    }

    fn id(&mut self, token: Token) -> u32 {
        match token {
            Token::Slot(p) => Placeholder::ALL.iter().position(|q| *q == p).unwrap_or(0) as u32,
            Token::Word(w) => {
                if let Some(&id) = self.ids.get(&w) {
                    return id;
                }
                let id = self.words.len() as u32;
                self.words.push(w.clone());
                self.ids.insert(w, id);
                id
            }
        }
    }

    pub(super) fn word(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("", String::as_str)
    }
}

/// Every ticket's token ids, with the vocabulary and document frequencies.
pub(crate) struct Corpus {
    pub(super) vocabulary: Vocabulary,
    pub(super) sequences: Vec<Vec<u32>>,
    pub(super) df: Vec<u32>,
    /// Each word's weight in the similarity: `ln(1 + df)` divided by `1 + ln(different words
    /// seen just before it)`. Words of a request's wording follow few others ("starter" follows
    /// "new"); values that fill a slot follow many (a name follows "starter", "for",
    /// "replacement", ...), so they weigh less.
    weight: Vec<f64>,
}

impl Corpus {
    pub(crate) fn new(tickets: &[Ticket], use_description: bool) -> Self {
        let mut vocabulary = Vocabulary::new();
        let mut sequences = Vec::with_capacity(tickets.len());
        for t in tickets {
            let mut tokens = normalize::tokens(&t.title);
            if use_description {
                if let Some(d) = &t.description {
                    tokens.extend(normalize::tokens(d));
                }
            }
            let ids: Vec<u32> = tokens.into_iter().map(|t| vocabulary.id(t)).collect();
            sequences.push(ids);
        }
        let mut df = vec![0u32; vocabulary.words.len()];
        let mut seen: Vec<u32> = Vec::new();
        for seq in &sequences {
            seen.clear();
            seen.extend(seq.iter().copied());
            seen.sort_unstable();
            seen.dedup();
            for &id in &seen {
                df[id as usize] += 1;
            }
        }
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        for seq in &sequences {
            let mut before = u32::MAX;
            for &id in seq {
                // All placeholders count as one neighbour: "<num>" and "<host>" are both a value.
                let this = if Self::is_word(id) { id } else { 0 };
                *pairs.entry((before, this)).or_default() += 1;
                before = this;
            }
        }
        let words = vocabulary.words.len();
        let mut left = vec![0u32; words];
        // The neighbour most often before each word, and how often.
        let mut usual: Vec<(u32, u32)> = vec![(u32::MAX, 0); words];
        for (&(before, right), &n) in &pairs {
            left[right as usize] += 1;
            let slot = &mut usual[right as usize];
            if n > slot.1 || (n == slot.1 && before < slot.0) {
                *slot = (before, n);
            }
        }
        let mut weight: Vec<f64> = (0..words)
            .map(|id| {
                let df = f64::from(df[id]);
                let left = f64::from(left[id].max(1));
                df.ln_1p() / (1.0 + left.ln())
            })
            .collect();
        // A word that nearly always follows one other word continues it ("billing api", "catalog
        // svc"): it weighs no more than that word, so a two-word value weighs as little as a
        // one-word one. Twice, for three-word values.
        for _ in 0..2 {
            for id in PLACEHOLDERS as usize..words {
                let (before, n) = usual[id];
                let continues = Self::is_word(before)
                    && before != u32::MAX
                    && f64::from(n) >= 0.9 * f64::from(df[id]);
                if continues {
                    weight[id] = weight[id].min(weight[before as usize]);
                }
            }
        }
        Self {
            vocabulary,
            sequences,
            df,
            weight,
        }
    }

    pub(super) fn weight(&self, id: u32) -> f64 {
        self.weight.get(id as usize).copied().unwrap_or(0.0)
    }

    pub(super) fn is_word(id: u32) -> bool {
        id >= PLACEHOLDERS
    }

    /// The template and distinctive words of a set of tickets.
    pub(crate) fn describe(&self, members: &[u32]) -> (Template, Vec<String>) {
        let mut local: HashMap<u32, u32> = HashMap::new();
        let mut seen: Vec<u32> = Vec::new();
        let mut shapes: HashMap<&[u32], u32> = HashMap::new();
        for &m in members {
            let seq = &self.sequences[m as usize];
            *shapes.entry(seq.as_slice()).or_default() += 1;
            seen.clear();
            seen.extend(seq.iter().copied().filter(|&id| Self::is_word(id)));
            seen.sort_unstable();
            seen.dedup();
            for &id in &seen {
                *local.entry(id).or_default() += 1;
            }
        }
        let size = members.len().max(1) as u32;
        let core = |id: u32| local.get(&id).is_some_and(|&n| n * 2 > size);
        // The most common shape of title, ties broken by its text: the template follows it.
        let shape = shapes
            .into_iter()
            .max_by(|(a, na), (b, nb)| na.cmp(nb).then_with(|| self.text(b).cmp(&self.text(a))))
            .map(|(s, _)| s.to_vec())
            .unwrap_or_default();
        let mut parts: Vec<Part> = Vec::new();
        for id in shape {
            let part = if Self::is_word(id) && core(id) {
                Part::Word(self.vocabulary.word(id).to_string())
            } else if Self::is_word(id) {
                Part::Varies(None)
            } else {
                Part::Varies(Placeholder::ALL.get(id as usize).copied())
            };
            match (parts.last_mut(), &part) {
                // Neighbouring varying parts are one slot; a mixed run is an untyped one.
                (Some(Part::Varies(prev)), Part::Varies(kind)) => {
                    if prev != kind {
                        *prev = None;
                    }
                }
                _ => parts.push(part),
            }
        }
        let total = self.sequences.len().max(1) as f64;
        let mut scored: Vec<(f64, &str)> = local
            .iter()
            .filter(|(&id, _)| core(id))
            .map(|(&id, &n)| {
                let idf = (total / f64::from(self.df[id as usize].max(1))).ln();
                (
                    f64::from(n) / f64::from(size) * idf,
                    self.vocabulary.word(id),
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let words = scored
            .into_iter()
            .take(3)
            .map(|(_, w)| w.to_string())
            .collect();
        (Template(parts), words)
    }

    fn text(&self, ids: &[u32]) -> String {
        let words: Vec<&str> = ids.iter().map(|&id| self.vocabulary.word(id)).collect();
        words.join(" ")
    }
}
