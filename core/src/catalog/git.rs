//! The catalogue directory as a git repository: each publish from the portal is a commit of that one
//! file, with the person as author. Runs the `git` command with arguments (never a shell).

use std::path::Path;
use tokio::process::Command;

/// What went wrong talking to git (details for the log; people see a generic message).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

async fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Never ask for credentials or an editor; never read the caller's global hooks settings.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .kill_on_drop(true)
        .output()
        .await
        .map_err(GitError::Spawn)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Whether `dir` is inside a git work tree (false when git itself is missing).
pub async fn is_repo(dir: &Path) -> bool {
    matches!(git(dir, &["rev-parse", "--is-inside-work-tree"]).await, Ok(s) if s == "true")
}

/// Whether `file` (relative to `dir`) has changes not committed (staged or not).
pub async fn is_dirty(dir: &Path, file: &str) -> Result<bool, GitError> {
    let status = git(dir, &["status", "--porcelain", "--", file]).await?;
    Ok(!status.is_empty())
}

/// The author of a commit: `Name <email>`, with characters git would misread removed.
pub fn author(name: &str, email: Option<&str>, user_id: i64) -> String {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0'))
            .collect::<String>()
            .trim()
            .to_string()
    };
    let name = match clean(name) {
        n if n.is_empty() => format!("user {user_id}"),
        n => n,
    };
    let email = email
        .map(clean)
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("user-{user_id}@runway.invalid"));
    format!("{name} <{email}>")
}

/// Commits `file` alone (whatever else is staged stays staged) and returns the commit id.
pub async fn commit_file(
    dir: &Path,
    file: &str,
    author: &str,
    message: &str,
) -> Result<String, GitError> {
    git(dir, &["add", "--", file]).await?;
    let author_arg = format!("--author={author}");
    let message_arg = format!("--message={message}");
    git(
        dir,
        &[
            "-c",
            "user.name=Runway",
            "-c",
            "user.email=runway@runway.invalid",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            &author_arg,
            &message_arg,
            "--",
            file,
        ],
    )
    .await?;
    git(dir, &["rev-parse", "HEAD"]).await
}

/// Takes `file` out of the index again after a failed commit (best effort: an empty repository has
/// nothing to reset to).
pub async fn unstage(dir: &Path, file: &str) -> Result<(), GitError> {
    git(dir, &["reset", "--quiet", "--", file])
        .await
        .map(|_| ())
}
