//! Plain routes of the Discover page (admins and the teams in `discover.teams`): upload an export,
//! choose a CSV's columns, record a decision about a group, and draft a catalogue action from a
//! group. Form posts that work without JavaScript; each answers with a redirect (back to the page,
//! to the column-mapping step, or to the new draft's action page).

use crate::error::{bad_request, forbidden, Error};
use crate::requests::{body_values, field};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::audit::Actor;
use runway_core::discover;
use runway_discover::cluster::GroupId;
use runway_discover::decisions::Decision;
use runway_domain::user::User;

fn may_discover(state: &AppState, user: &User) -> Result<(), Error> {
    if discover::may_discover(&state.runway.settings.discover, user) {
        Ok(())
    } else {
        Err(forbidden(
            "For the platform team",
            "Discover is for admins and the team that owns the catalogue.",
        ))
    }
}

/// `POST /admin/discover/{source}/groups/{group}/decide`: `kind` = rename, merge, split or
/// dismiss, and `value` = the new name, the group to merge into, or the word that splits.
pub async fn decide(
    State(state): State<AppState>,
    Path((source, group)): Path<(String, String)>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    may_discover(&state, &user)?;
    let form = body_values(&body);
    let value = field(&form, "value");
    let group = GroupId(group);
    let decision = match field(&form, "kind").as_str() {
        "rename" => Decision::Rename {
            group,
            label: value,
        },
        "merge" => Decision::Merge {
            group,
            into: GroupId(value),
        },
        "split" => Decision::Split { group, word: value },
        "dismiss" => Decision::Dismiss { group },
        _ => {
            return Err(bad_request(
                "Unknown decision",
                "Choose rename, merge, split or dismiss.",
            ))
        }
    };
    discover::decide(&state.runway.db, &source, &decision, &user.name).await?;
    Ok(Redirect::to(&format!("/admin/discover?source={source}")).into_response())
}

/// The owning team a draft form names (default `platform`).
fn draft_owner(body: &Bytes) -> Result<String, Error> {
    let owner = match field(&body_values(body), "owner") {
        o if o.is_empty() => "platform".to_string(),
        o => o,
    };
    if runway_domain::ids::TeamName::parse(&owner).is_err() {
        return Err(bad_request(
            "Not a team name",
            "The owner must be a catalogue team name: lowercase letters, digits and hyphens.",
        ));
    }
    Ok(owner)
}

/// `POST /admin/discover/{source}/groups/{group}/draft`: writes a draft action for the group into
/// the catalogue directory (owned by the form's `owner`, default `platform`), reloads the
/// catalogue, and shows the new action.
pub async fn draft(
    State(state): State<AppState>,
    Path((source, group)): Path<(String, String)>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    may_discover(&state, &user)?;
    let owner = draft_owner(&body)?;
    let runway = &state.runway;
    let path = discover::draft_action(
        &runway.db,
        runway.catalog.dir(),
        &source,
        &GroupId(group),
        &owner,
    )
    .await?;
    if let Err(e) = runway.reload_catalog(Actor::person(&user)).await {
        return Err(crate::error::internal(
            "reloading the catalogue after a draft",
            e,
        ));
    }
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/actions/{id}")).into_response())
}

/// `POST /admin/discover/{source}/groups/{group}/edit`: the group's draft action saved as a portal
/// draft (nothing is published), then the editor on it, to finish the form before publishing.
pub async fn edit_draft(
    State(state): State<AppState>,
    Path((source, group)): Path<(String, String)>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    may_discover(&state, &user)?;
    let owner = draft_owner(&body)?;
    let runway = &state.runway;
    let d = discover::draft_of(&runway.db, &source, &GroupId(group), &owner).await?;
    let id = runway_core::editor::drafts::save(runway, &user, &d.yaml, None).await?;
    Ok(Redirect::to(&format!("/actions/{id}/edit")).into_response())
}

/// The largest export the page accepts. Streamed to a file, never held in memory; the edge's 2 MiB
/// limit does not apply to this one route (`edge::limit_body`).
pub const UPLOAD_LIMIT: usize = 1024 * 1024 * 1024;

/// `POST /admin/discover/upload` (multipart): optional `source`, `format` and `map` fields, then
/// the export as `file`. The file is streamed to a private temporary file in the data directory,
/// read like `runway tickets import` reads it, stored, and removed.
pub async fn upload(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    use runway_discover::import::{ColumnMap, Format};
    use tokio::io::AsyncWriteExt;
    // Who asks comes first: a developer learns nothing about the form's shape.
    may_discover(&state, &user)?;
    let mut form = form.map_err(|e| bad_request("Upload failed", e.body_text()))?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        bad_request(
            "Upload failed",
            format!("The upload could not be read: {e}"),
        )
    };
    let (mut source, mut format, mut map) = (None::<String>, None::<Format>, None::<ColumnMap>);
    let runway = &state.runway;
    // A name no other upload uses (create_new below refuses a clash rather than share a file).
    static UPLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nth = UPLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = runway
        .settings
        .data_dir
        .join(format!("discover-upload-{}-{nth}.part", std::process::id()));
    let _remove = RemoveOnDrop(temp.clone());
    let mut file_name = None;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" => {
                file_name = Some(field.file_name().unwrap_or("export").to_string());
                let mut out = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&temp)
                    .await
                    .map_err(|e| crate::error::internal("creating an upload file", e))?;
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| crate::error::internal("writing an upload", e))?;
                }
                out.flush()
                    .await
                    .map_err(|e| crate::error::internal("writing an upload", e))?;
            }
            name => {
                let name = name.to_string();
                let value = field.text().await.map_err(unreadable)?;
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                match name.as_str() {
                    "source" => source = Some(value.to_string()),
                    "format" => {
                        format = Some(value.parse().map_err(
                            |e: runway_discover::import::ImportError| {
                                bad_request("Unknown format", e.to_string())
                            },
                        )?)
                    }
                    "map" => {
                        map = Some(value.parse().map_err(
                            |e: runway_discover::import::ImportError| {
                                bad_request("Bad column mapping", e.to_string())
                            },
                        )?)
                    }
                    _ => {}
                }
            }
        }
    }
    let Some(file_name) = file_name else {
        return Err(bad_request("No file", "Choose an export file to upload."));
    };
    if map.is_none() && needs_a_column_map(&temp, format).await {
        // Kept for the mapping form, which shows the file's own columns to choose from.
        let data_dir = runway.settings.data_dir.clone();
        let from = temp.clone();
        let token = tokio::task::spawn_blocking(move || discover::staged::keep(&data_dir, &from))
            .await
            .map_err(|e| crate::error::internal("keeping an upload", e))?
            .map_err(|e| crate::error::internal("keeping an upload", e))?;
        let query = [
            ("upload", token.as_str()),
            ("file", file_name.as_str()),
            ("source", source.as_deref().unwrap_or("")),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", runway_domain::view::encode_query_value(v)))
        .collect::<Vec<_>>()
        .join("&");
        return Ok(Redirect::to(&format!("/admin/discover/map?{query}")).into_response());
    }
    let export = crate::tickets::ExportArgs {
        file: temp.clone(),
        format,
        map,
        description: false,
    };
    import_file(runway, &user, export, file_name, source).await
}

/// Reads `export` (on the blocking pool) and stores it as an import by `user`; answers with the
/// ranked groups of its source.
async fn import_file(
    runway: &runway_core::state::Runway,
    user: &User,
    export: crate::tickets::ExportArgs,
    file_name: String,
    source: Option<String>,
) -> Result<Response, Error> {
    let reporter = discover::reporter_policy(&runway.settings.discover)?;
    let name = file_name.clone();
    let read = tokio::task::spawn_blocking(move || {
        crate::tickets::read_named(&export, reporter, &name, false)
    })
    .await
    .map_err(|e| crate::error::internal("reading an upload", e))?
    .map_err(|message| bad_request("Cannot read this export", message))?;
    let imported = discover::store_import(
        &runway.db,
        discover::ImportParams {
            source: source.as_deref(),
            file_name: &file_name,
            format: read.format,
            tickets: read.tickets,
            rows_skipped: read.skipped_total,
            imported_by: &user.name,
        },
    )
    .await?;
    // Actions linked to a group of this source take the group's tickets from the new analysis.
    match runway_core::impact::baseline::refresh_source(&runway.db, &imported.source).await {
        Ok(_) => runway.impact.clear(),
        Err(e) => {
            tracing::warn!(source = %imported.source, "cannot refresh the baselines of this source: {e}")
        }
    }
    Ok(Redirect::to(&format!("/admin/discover?source={}", imported.source)).into_response())
}

/// Whether `file` is a CSV whose columns Runway cannot tell by itself (no `--map` given): a generic
/// CSV, or one whose header is none of the known exports'.
async fn needs_a_column_map(
    file: &std::path::Path,
    format: Option<runway_discover::import::Format>,
) -> bool {
    use runway_discover::import::{self, Format, ImportError, ImportOptions};
    if !matches!(format, None | Some(Format::Csv)) {
        return false;
    }
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let Ok(f) = std::fs::File::open(&file) else {
            return false;
        };
        let options = ImportOptions {
            format,
            ..ImportOptions::default()
        };
        matches!(import::open(f, &options), Err(ImportError::NeedsMap))
    })
    .await
    .unwrap_or(false)
}

/// `POST /admin/discover/uploads/{token}/map`: imports a kept upload (see [`upload`]) with the
/// columns chosen on the mapping form (one field per role: `title`, `created`, `resolved`, `team`,
/// `labels`, `description`, `key`; empty = none), then removes it.
pub async fn map(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    use runway_discover::import::{mapping::ROLES, ColumnMap, Format};
    may_discover(&state, &user)?;
    let runway = &state.runway;
    let gone = || {
        bad_request(
            "Upload not found",
            "This upload is no longer waiting for its columns (it was imported, or it waited more \
             than an hour). Upload the export again.",
        )
    };
    let file = discover::staged::path(&runway.settings.data_dir, &token).ok_or_else(gone)?;
    if !tokio::fs::try_exists(&file).await.unwrap_or(false) {
        return Err(gone());
    }
    let form = body_values(&body);
    let mut columns = ColumnMap::default();
    for (role, _, _) in ROLES {
        let column = field(&form, role);
        if !column.is_empty() {
            columns.set(role, column);
        }
    }
    if columns.title.is_none() || columns.created.is_none() {
        return Err(bad_request(
            "Choose the columns",
            "Runway needs at least the column with each ticket's title and the one with when it \
             was created. Go back and choose them.",
        ));
    }
    let file_name = match field(&form, "file") {
        f if f.is_empty() => "export.csv".to_string(),
        f => f,
    };
    let source = Some(field(&form, "source")).filter(|s| !s.is_empty());
    let export = crate::tickets::ExportArgs {
        file: file.clone(),
        format: Some(Format::Csv),
        map: Some(columns),
        description: false,
    };
    let answer = import_file(runway, &user, export, file_name, source).await?;
    let _ = tokio::fs::remove_file(&file).await;
    Ok(answer)
}

/// Removes an upload's temporary file however the handler ends (an error midway included).
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
