//! An action's history page: every recorded change, a side-by-side diff of two versions' YAML,
//! the rollout with its adoption, and the lifecycle. Admins and members of the owning team may
//! see it; for anyone else the action's history does not exist (404, as an invisible action).
//! Admins and leads of the owning team also get the forms to roll back, change the rollout and the
//! lifecycle (the routes they post to check again).

use super::Catalog;
use crate::db::action_history as sql;
use crate::db::{Db, DbError};
use chrono::{DateTime, Duration, Utc};
use runway_domain::spec::{ActionSpec, Visibility};
use runway_domain::user::User;
use runway_domain::versions::{
    ActionHistory, AdoptionRow, ChangeView, DiffKind, DiffRow, DiffView, LifecycleView,
    RolloutView, VersionOption, ADOPTION_DAYS,
};
use similar::{DiffOp, TextDiff};
use std::collections::BTreeMap;

/// Why the history page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum ActionHistoryError {
    /// No such action, or the caller may not see its history.
    #[error("no such action, or the caller may not see its history")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The two versions to compare (`?from=&to=`, full content hashes). Neither given: the current
/// version against the one before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPair {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl VersionPair {
    /// From a page's query string (`from=…&to=…`); empty values count as absent.
    pub fn from_query(query: &str) -> Self {
        let mut pair = Self::default();
        for (k, v) in runway_domain::view::parse_query(query) {
            let v = Some(v).filter(|v| !v.is_empty());
            match k.as_str() {
                "from" => pair.from = v,
                "to" => pair.to = v,
                _ => {}
            }
        }
        pair
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// The history page of `action_id` for `user`.
#[tracing::instrument(skip_all, fields(action = %action_id))]
pub async fn action_history(
    db: &Db,
    catalog: &Catalog,
    user: &User,
    action_id: &str,
    pair: VersionPair,
) -> Result<ActionHistory, ActionHistoryError> {
    let loaded = catalog.actions.get(action_id);
    let spec: Option<&ActionSpec> = loaded.map(|a| &a.spec);
    let allowed = match spec {
        Some(spec) => user.is_admin || user.is_member(spec.owner.as_str()),
        // Removed from the files: only admins, and only if there is something to show.
        None => user.is_admin,
    };
    if !allowed {
        return Err(ActionHistoryError::NotFound);
    }
    let changes = sql::changes(db, action_id).await?;
    let versions = sql::versions(db, action_id).await?;
    if spec.is_none() && changes.is_empty() && versions.is_empty() {
        return Err(ActionHistoryError::NotFound);
    }
    let current = loaded.map(|a| a.content_hash.clone());
    let recorded: Vec<&str> = versions.iter().map(|(h, _)| h.as_str()).collect();

    let (from, to) = match (pair.from, pair.to) {
        (None, None) => {
            let to = current
                .clone()
                .or_else(|| recorded.first().map(|h| h.to_string()));
            let from = recorded
                .iter()
                .find(|h| Some(**h) != to.as_deref())
                .map(|h| h.to_string());
            (from, to)
        }
        (from, to) => (from, to),
    };
    let diff = match (&from, &to) {
        (Some(from), Some(to))
            if recorded.contains(&from.as_str()) && recorded.contains(&to.as_str()) =>
        {
            let old = sql::version_source(db, action_id, from).await?;
            let new = sql::version_source(db, action_id, to).await?;
            match (old, new) {
                (Some(old), Some(new)) => Some(diff(from, to, &old, &new)),
                _ => None,
            }
        }
        _ => None,
    };

    let may_manage = spec.is_some_and(|s| user.is_admin || user.leads(s.owner.as_str()));
    let rollout = match spec {
        Some(spec) => rollout(db, action_id, &spec.visible_to).await?,
        None => RolloutView {
            teams: None,
            adoption: Vec::new(),
        },
    };
    let lifecycle = match spec {
        Some(spec) => LifecycleView {
            status: spec.lifecycle.status,
            // As the caller may see it (`auth::viewer`, which builds on this module).
            replacement: catalog.replacement_for(
                spec,
                &super::Viewer {
                    teams: user.team_names(),
                    sees_everything: user.is_admin,
                },
            ),
            note: spec.lifecycle.note.clone(),
        },
        None => LifecycleView {
            status: runway_domain::spec::LifecycleStatus::Retired,
            replacement: None,
            note: None,
        },
    };
    Ok(ActionHistory {
        action_id: action_id.to_string(),
        title: catalog.title_of(action_id),
        in_catalog: spec.is_some(),
        current: current.as_deref().map(short),
        changes: changes
            .into_iter()
            .map(|c| ChangeView {
                id: c.id,
                changed_at: when(c.changed_at),
                actor: (c.actor_id.is_some() || !c.actor_name.is_empty()).then_some(c.actor_name),
                kind: c.kind,
                note: c.note,
                short_hash: short(&c.content_hash),
                is_current: current.as_deref() == Some(c.content_hash.as_str()),
                has_source: recorded.contains(&c.content_hash.as_str()),
                content_hash: c.content_hash,
                git_commit: c.git_commit,
            })
            .collect(),
        versions: versions
            .iter()
            .map(|(hash, at)| VersionOption {
                content_hash: hash.clone(),
                label: format!("{} · {}", short(hash), when(*at)),
            })
            .collect(),
        diff,
        may_manage,
        rollout,
        lifecycle,
    })
}

/// Who sees the action now and, per team, its requests over the last [`ADOPTION_DAYS`] days
/// (every early-adopter team listed, with nothing yet if so).
async fn rollout(
    db: &Db,
    action_id: &str,
    visible_to: &Visibility,
) -> Result<RolloutView, DbError> {
    let since = Utc::now() - Duration::days(ADOPTION_DAYS);
    let mut by_team: BTreeMap<Option<String>, AdoptionRow> = BTreeMap::new();
    let teams = match visible_to {
        Visibility::All => None,
        Visibility::Teams(teams) => Some(teams.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    for team in teams.iter().flatten() {
        by_team.insert(
            Some(team.clone()),
            AdoptionRow {
                team: Some(team.clone()),
                requests: 0,
                requesters: 0,
            },
        );
    }
    for row in sql::adoption(db, action_id, since).await? {
        by_team.insert(
            row.team.clone(),
            AdoptionRow {
                team: row.team,
                requests: row.requests,
                requesters: row.requesters,
            },
        );
    }
    // Teams first (by name), requests without a team last.
    let mut adoption: Vec<AdoptionRow> = by_team.into_values().collect();
    adoption.sort_by(|a, b| (a.team.is_none(), &a.team).cmp(&(b.team.is_none(), &b.team)));
    Ok(RolloutView { teams, adoption })
}

/// A line diff of `old` and `new` as side-by-side rows: a replaced block pairs its removed lines
/// with the added ones, extra lines on either side stand alone.
pub fn diff(from: &str, to: &str, old: &str, new: &str) -> DiffView {
    let text = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let line =
        |lines: &[&str], i: usize| Some((i + 1, lines.get(i).copied().unwrap_or("").to_string()));
    let mut rows = Vec::new();
    let (mut added, mut removed) = (0, 0);
    for op in text.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => rows.extend((0..len).map(|k| DiffRow {
                kind: DiffKind::Same,
                old: line(&old_lines, old_index + k),
                new: line(&new_lines, new_index + k),
            })),
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                removed += old_len;
                rows.extend((0..old_len).map(|k| DiffRow {
                    kind: DiffKind::Removed,
                    old: line(&old_lines, old_index + k),
                    new: None,
                }));
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                added += new_len;
                rows.extend((0..new_len).map(|k| DiffRow {
                    kind: DiffKind::Added,
                    old: None,
                    new: line(&new_lines, new_index + k),
                }));
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                removed += old_len;
                added += new_len;
                rows.extend((0..old_len.max(new_len)).map(|k| {
                    let old = (k < old_len)
                        .then(|| line(&old_lines, old_index + k))
                        .flatten();
                    let new = (k < new_len)
                        .then(|| line(&new_lines, new_index + k))
                        .flatten();
                    let kind = match (&old, &new) {
                        (Some(_), Some(_)) => DiffKind::Changed,
                        (Some(_), None) => DiffKind::Removed,
                        _ => DiffKind::Added,
                    };
                    DiffRow { kind, old, new }
                }));
            }
        }
    }
    DiffView {
        from: from.to_string(),
        to: to.to_string(),
        rows,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_pairs_changed_lines_and_marks_added_and_removed_ones() {
        let old = "id: a\ntitle: Old\nsummary: S\nretries: 1\n";
        let new = "id: a\ntitle: New\nsummary: S\nestimate: 2m\n";
        let d = diff("x", "y", old, new);
        let kinds: Vec<DiffKind> = d.rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DiffKind::Same,
                DiffKind::Changed,
                DiffKind::Same,
                DiffKind::Changed
            ]
        );
        assert_eq!(d.rows[1].old, Some((2, "title: Old".to_string())));
        assert_eq!(d.rows[1].new, Some((2, "title: New".to_string())));
        assert_eq!((d.added, d.removed), (2, 2));

        let d = diff("x", "y", "a\nb\n", "a\nb\nc\n");
        assert_eq!(d.rows.last().map(|r| r.kind), Some(DiffKind::Added));
        assert_eq!(
            d.rows.last().and_then(|r| r.new.clone()),
            Some((3, "c".to_string()))
        );
        let d = diff("x", "y", "a\nb\n", "b\n");
        assert_eq!(d.rows[0].kind, DiffKind::Removed);
        assert_eq!((d.added, d.removed), (0, 1));
    }
}
