//! The script executor: runs an action's program with its rendered arguments, as an unprivileged
//! user, under resource limits and a timeout, and reports what it printed and the outputs it wrote.
//!
//! No shell is involved: the program is started directly (through util-linux `prlimit`, which sets
//! the limits and then `exec`s it), so each rendered argument is exactly one argv element and no
//! value is ever interpreted. Inputs also arrive as one JSON object on stdin, and non-secret ones as
//! `RUNWAY_INPUT_<NAME>` environment variables; secret inputs are kept out of the environment and
//! given in private files instead ([`isolation`]). The environment is cleared first; only an
//! allow-list of Runway's own variables and the configured extras (global, and the action's own)
//! are passed on.
//!
//! As root, each action runs as its own uid with its own state directory ([`isolation`]).
//!
//! Each run gets a fresh private working directory (`HOME`, `TMPDIR`, the current directory and the
//! home of `RUNWAY_OUTPUTS`), removed afterwards. The program leads its own process group, so a
//! timeout or a cancellation stops everything it started (SIGTERM, then SIGKILL after a grace
//! period), and stragglers left behind by a normal exit are killed too. A process that leaves the
//! group on purpose (`setsid`) escapes this; cgroups would be needed to catch it.
//!
//! Every line of stdout and stderr is redacted before it reaches the [`LogSink`]. Redaction works
//! line by line, so it protects against accidental leaks, not against a script that splits a secret
//! across lines on purpose.

mod isolation;

pub use isolation::{missing_isolation, UidRange};

use crate::{parse_outputs, LogSink, Output, Redactor, Stream};
use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{geteuid, Pid, User};
use runway_domain::template::value_text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// `[scripts]`: how scripts are run, for every action. Read from the configuration
/// (`RUNWAY_SCRIPTS__<KEY>`); the fields marked "not configurable" keep their defaults there and
/// exist for tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScriptSettings {
    /// The account every script runs as when Runway itself runs as root and `uid_range` is empty.
    /// Scripts never run as root: an account with uid 0 is refused. When Runway is not root,
    /// scripts run as Runway's own user and this is ignored.
    pub run_as_user: String,
    /// When Runway runs as root, each action runs as its own uid from this range (`61000-61999`),
    /// chosen from its id and kept by its state directory's owner; no passwd entry is needed.
    /// Empty = every action shares `run_as_user`.
    pub uid_range: UidRange,
    /// Where each action's state directory (`RUNWAY_STATE_DIR`, `<state_root>/<action-id>`) lives:
    /// outside the data directory, which scripts may not enter. Empty = next to the data
    /// directory, `<data_dir>-state` (resolved by the configuration).
    pub state_root: PathBuf,
    /// `RLIMIT_CPU`: CPU seconds before the kernel stops the script with SIGXCPU. 0 = no limit.
    pub cpu_seconds: u64,
    /// `RLIMIT_AS`: address space in MiB; allocations beyond it fail. 0 = no limit.
    pub memory_mb: u64,
    /// `RLIMIT_NPROC`: processes (and threads) the run user may have at once, counted across the
    /// whole machine; when Runway is not root that includes Runway's own threads. 0 = no limit.
    pub max_processes: u64,
    /// How long the process group has between SIGTERM and SIGKILL on a timeout or cancellation.
    #[serde(with = "runway_domain::duration::text")]
    pub kill_grace: Duration,
    /// KiB of stdout and stderr kept in the log per attempt. Past it, one "log truncated" system
    /// line is written and the rest is discarded, though still read so the script never blocks on
    /// a full pipe.
    pub log_cap_kb: usize,
    /// Variables passed to every script (configured, so trusted): `RUNWAY_REPOS_DIR`. From the
    /// environment: `RUNWAY_SCRIPTS__ENV__RUNWAY_REPOS_DIR=/srv/git`; names are upper-cased when
    /// the script starts. `RUNWAY_*`, `HOME` and `TMPDIR` set by the executor take precedence.
    pub env: BTreeMap<String, String>,
    /// Variables passed only to one action's scripts, by action id (`[scripts.action_env.
    /// service-database]`), on top of `env`: credentials that action alone needs. From the
    /// environment, with `_` for the id's `-`:
    /// `RUNWAY_SCRIPTS__ACTION_ENV__SERVICE_DATABASE__RUNWAY_DEMO_POSTGRES_URL=postgres://…`.
    pub action_env: BTreeMap<String, BTreeMap<String, String>>,
    /// Variables copied from Runway's own environment when set there (not configurable).
    #[serde(skip)]
    pub env_allow: Vec<String>,
    /// Where the per-run working directories are created. Empty (the default) means
    /// `<data_dir>-runs`. Created if missing and kept private: mode 0700, or 0711 when scripts run
    /// as another user (who must pass through to its own run directory, but cannot list the
    /// others). It must be a directory owned by Runway's user (not a symbolic link): Runway deletes
    /// trees inside it, so a directory someone else created first is refused.
    pub work_root: PathBuf,
}

impl Default for ScriptSettings {
    fn default() -> Self {
        Self {
            run_as_user: "nobody".to_string(),
            uid_range: UidRange::new(61000, 61999),
            state_root: PathBuf::new(),
            cpu_seconds: 300,
            memory_mb: 1024,
            max_processes: 256,
            kill_grace: Duration::from_secs(5),
            log_cap_kb: 1024,
            env: BTreeMap::new(),
            action_env: BTreeMap::new(),
            env_allow: ["PATH", "LANG", "LC_ALL", "TZ"].map(String::from).to_vec(),
            work_root: PathBuf::new(),
        }
    }
}

impl ScriptSettings {
    /// Bytes of output kept in the log per attempt.
    pub fn log_cap_bytes(&self) -> usize {
        self.log_cap_kb.saturating_mul(1024)
    }

    /// Checks what the types cannot say; the message names the key and its variable.
    pub fn validate(&self) -> Result<(), String> {
        if self.run_as_user.trim().is_empty() || self.run_as_user == "root" {
            return Err("scripts.run_as_user (RUNWAY_SCRIPTS__RUN_AS_USER): expected an unprivileged user such as `nobody`".into());
        }
        for (key, v) in [
            ("cpu_seconds", self.cpu_seconds),
            ("memory_mb", self.memory_mb),
            ("max_processes", self.max_processes),
        ] {
            if v == 0 {
                return Err(format!(
                    "scripts.{key} (RUNWAY_SCRIPTS__{}): expected at least 1",
                    key.to_uppercase()
                ));
            }
        }
        Ok(())
    }
}

/// One execution of one action's script.
#[derive(Debug, Clone)]
pub struct ScriptRun {
    /// Absolute path of the program (the catalogue checked it exists and is executable).
    pub program: PathBuf,
    /// Rendered arguments; each element is exactly one argv element.
    pub args: Vec<String>,
    /// Every visible non-secret field's value: passed as environment variables and on stdin.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// The secret fields' values: on stdin (with `inputs`) and in private files, never in the
    /// environment.
    pub secret_inputs: serde_json::Map<String, serde_json::Value>,
    pub timeout: Duration,
    /// A directory kept between runs of the same action (`RUNWAY_STATE_DIR`), usually
    /// `<state_root>/<action-id>`; created if missing and handed to the run user. Its parent holds
    /// the other actions' directories: their owners decide which uids are taken.
    pub state_dir: Option<PathBuf>,
    pub request_id: i64,
    pub action_id: String,
}

/// Longest line passed to the sink; longer output is split into several lines.
const MAX_LINE_BYTES: usize = 8 * 1024;
/// The largest outputs file read: [`crate::MAX_OUTPUTS`] values of the largest size, with room for
/// JSON escaping.
const MAX_OUTPUTS_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// How long output is still read after the script's process group is gone. Only a process that
/// left the group can hold the pipes open that long.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
/// How often the group is checked while it has its grace period.
const GRACE_POLL: Duration = Duration::from_millis(50);
/// Longest stderr line quoted in an error message.
const MAX_ERROR_LINE_CHARS: usize = 500;

/// Runs the script, streaming its redacted output to `sink`. `Ok` holds the outputs it wrote
/// (none if it wrote no outputs file); `Err` is a message for people: "exited with status 64: …",
/// "timed out after 2m", "cancelled", or why the script could not be started.
pub async fn run(
    settings: &ScriptSettings,
    run: &ScriptRun,
    sink: &dyn LogSink,
    redactor: &Redactor,
    cancel: &CancellationToken,
) -> Result<Vec<Output>, String> {
    let mut env = environment(settings, run)?;
    if cancel.is_cancelled() {
        return Err("cancelled".to_string());
    }
    let mut all_inputs = run.inputs.clone();
    all_inputs.extend(run.secret_inputs.clone());
    let stdin_json = serde_json::to_vec(&all_inputs)
        .map_err(|e| format!("could not encode the inputs as JSON: {e}"))?;
    let prepared = {
        let run_as = RunAs {
            user: settings.run_as_user.clone(),
            uid_range: settings.uid_range,
            action_id: run.action_id.clone(),
        };
        let work_root = settings.work_root.clone();
        let state_dir = run.state_dir.clone();
        let request_id = run.request_id;
        let secrets = run.secret_inputs.clone();
        tokio::task::spawn_blocking(move || {
            prepare(
                &run_as,
                &work_root,
                state_dir.as_deref(),
                request_id,
                &secrets,
            )
        })
        .await
        .map_err(|e| format!("could not prepare the run: {e}"))??
    };
    let mut work_dir = WorkDir(Some(prepared.work_dir.clone()));
    env.extend(prepared.secret_files.iter().cloned());
    let result = execute(
        settings, run, &prepared, env, stdin_json, sink, redactor, cancel,
    )
    .await;
    work_dir.remove().await;
    result
}

/// What [`prepare`] found and made before the start.
struct Prepared {
    prlimit: PathBuf,
    /// `Some` when Runway is root and switches to the run user.
    user: Option<RunUser>,
    /// The uid the script runs as (the run user's, or Runway's own).
    uid: u32,
    work_dir: PathBuf,
    /// `RUNWAY_INPUT_<NAME>_FILE` for each secret input.
    secret_files: Vec<(String, OsString)>,
}

/// Whom a run is for: the shared account, or the action's own uid from the range.
struct RunAs {
    user: String,
    uid_range: UidRange,
    action_id: String,
}

#[derive(Clone, Copy)]
struct RunUser {
    uid: u32,
    gid: u32,
}

/// Checks the program and arguments, and builds the script's whole environment (apart from the
/// working directory's variables): names are valid and no value holds a NUL byte.
fn environment(
    settings: &ScriptSettings,
    run: &ScriptRun,
) -> Result<Vec<(String, OsString)>, String> {
    if !run.program.is_absolute() {
        return Err(format!(
            "the script path `{}` is not absolute",
            run.program.display()
        ));
    }
    if run.program.as_os_str().as_encoded_bytes().contains(&0) {
        return Err("the script path contains a NUL byte".to_string());
    }
    for (i, arg) in run.args.iter().enumerate() {
        if arg.contains('\0') {
            return Err(format!(
                "argument {} contains a NUL byte, which no program argument can carry",
                i + 1
            ));
        }
    }
    let valid_name =
        |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut env = Vec::new();
    for name in &settings.env_allow {
        if valid_name(name) {
            if let Some(value) = std::env::var_os(name) {
                env.push((name.clone(), value));
            }
        }
    }
    for (name, value) in &settings.env {
        if !valid_name(name) || value.contains('\0') {
            return Err(format!(
                "the configured script environment variable `{name}` has an invalid name or a NUL byte in its value"
            ));
        }
        // Names from environment variables arrive lower-cased (`RUNWAY_SCRIPTS__ENV__X=…`).
        env.push((name.to_ascii_uppercase(), value.into()));
    }
    // Ids from environment variables arrive lower-cased with `_` for `-`.
    let own = settings
        .action_env
        .iter()
        .filter(|(id, _)| id.replace('_', "-") == run.action_id);
    for (name, value) in own.flat_map(|(_, vars)| vars) {
        if !valid_name(name) || value.contains('\0') {
            return Err(format!(
                "the configured environment variable `{name}` of action `{}` has an invalid name or a NUL byte in its value",
                run.action_id
            ));
        }
        env.push((name.to_ascii_uppercase(), value.into()));
    }
    for name in run.secret_inputs.keys() {
        if !valid_name(name) {
            return Err(format!("input `{name}` cannot be named in a file name"));
        }
    }
    for (name, value) in &run.inputs {
        if !valid_name(name) {
            return Err(format!(
                "input `{name}` cannot be named in an environment variable"
            ));
        }
        let text = value_text(Some(value));
        if text.contains('\0') {
            return Err(format!(
                "input `{name}` contains a NUL byte, which no environment variable can carry"
            ));
        }
        env.push((
            format!("RUNWAY_INPUT_{}", name.to_ascii_uppercase()),
            text.into(),
        ));
    }
    env.push((
        "RUNWAY_REQUEST_ID".to_string(),
        run.request_id.to_string().into(),
    ));
    env.push(("RUNWAY_ACTION_ID".to_string(), run.action_id.clone().into()));
    if let Some(dir) = &run.state_dir {
        env.push(("RUNWAY_STATE_DIR".to_string(), dir.as_os_str().to_owned()));
    }
    Ok(env)
}

/// Finds `prlimit`, the run user, and makes the state and working directories and the secret
/// inputs' files (blocking calls).
fn prepare(
    run_as: &RunAs,
    work_root: &Path,
    state_dir: Option<&Path>,
    request_id: i64,
    secrets: &serde_json::Map<String, serde_json::Value>,
) -> Result<Prepared, String> {
    let prlimit = find_prlimit()?;
    let user = match run_as.uid_range.bounds() {
        Some(range) if geteuid().is_root() => {
            Some(isolation::action_user(range, &run_as.action_id, state_dir)?)
        }
        _ => run_user(&run_as.user)?,
    };
    if let Some(dir) = state_dir {
        make_dir(dir, 0o700, user).map_err(|e| {
            format!(
                "could not prepare the state directory {}: {e}",
                dir.display()
            )
        })?;
    }
    let work_dir = make_work_dir(work_root, request_id, user)?;
    let secret_files = match isolation::write_secret_files(&work_dir, secrets, user) {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work_dir);
            return Err(e);
        }
    };
    Ok(Prepared {
        prlimit,
        user,
        uid: user.map_or_else(|| geteuid().as_raw(), |u| u.uid),
        work_dir,
        secret_files,
    })
}

fn find_prlimit() -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("prlimit"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/bin/prlimit")])
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            "scripts cannot run: `prlimit` (from util-linux) is needed to apply resource limits and was found neither on PATH nor at /usr/bin/prlimit".to_string()
        })
}

/// The account to switch to: `None` when Runway is not root (it cannot switch, and is not root).
fn run_user(name: &str) -> Result<Option<RunUser>, String> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    let user = User::from_name(name)
        .map_err(|e| format!("could not look up the script user `{name}`: {e}"))?
        .ok_or_else(|| format!("the script user `{name}` does not exist on this machine"))?;
    if user.uid.is_root() {
        return Err(format!(
            "refusing to run scripts as `{name}`: it has uid 0, and scripts never run as root"
        ));
    }
    Ok(Some(RunUser {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    }))
}

/// Creates `dir` (and missing parents, mode 0711 so the run user can pass through) with `mode`,
/// then hands it to the run user.
fn make_dir(dir: &Path, mode: u32, user: Option<RunUser>) -> std::io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(parent)?;
    }
    match std::fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(e),
    }
    if let Some(u) = user {
        std::os::unix::fs::chown(dir, Some(u.uid), Some(u.gid))?;
    }
    Ok(())
}

/// A fresh directory `run-<request>-<random>` under `work_root`, mode 0700, owned by the run user.
fn make_work_dir(
    work_root: &Path,
    request_id: i64,
    user: Option<RunUser>,
) -> Result<PathBuf, String> {
    let root = work_root.display();
    if work_root.as_os_str().is_empty() {
        return Err("no script work directory is set (scripts.work_root)".to_string());
    }
    // Private: only a run user other than Runway's needs to pass through, to its own directory.
    let mode = if user.is_some() { 0o711 } else { 0o700 };
    make_dir(work_root, mode, None)
        .map_err(|e| format!("could not create the script work directory {root}: {e}"))?;
    let meta = std::fs::symlink_metadata(work_root)
        .map_err(|e| format!("could not inspect the script work directory {root}: {e}"))?;
    if !meta.is_dir() || meta.uid() != geteuid().as_raw() {
        return Err(format!(
            "the script work directory {root} must be a directory owned by Runway's user, and is not \
             (another user may have created it first): remove it, or set scripts.work_root \
             (RUNWAY_SCRIPTS__WORK_ROOT) to a private directory"
        ));
    }
    if meta.mode() & 0o777 != mode {
        std::fs::set_permissions(work_root, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("could not make the script work directory {root} private: {e}"))?;
    }
    for _ in 0..8 {
        let dir = work_root.join(format!("run-{request_id}-{:016x}", fastrand::u64(..)));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(format!(
                    "could not create a working directory in {root}: {e}"
                ))
            }
        }
        let handed_over = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .and_then(|()| match user {
                Some(u) => std::os::unix::fs::chown(&dir, Some(u.uid), Some(u.gid)),
                None => Ok(()),
            });
        if let Err(e) = handed_over {
            let _ = std::fs::remove_dir(&dir);
            return Err(format!(
                "could not prepare the working directory {}: {e}",
                dir.display()
            ));
        }
        return Ok(dir);
    }
    Err(format!(
        "could not create a unique working directory in {root}"
    ))
}

/// Removes the working directory: with [`WorkDir::remove`] normally, in `Drop` if the run's future
/// is dropped half-way.
struct WorkDir(Option<PathBuf>);

impl WorkDir {
    async fn remove(&mut self) {
        if let Some(dir) = self.0.take() {
            if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
                let dir = dir.display();
                tracing::warn!(%dir, error = %e, "could not remove a script working directory");
            }
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Kills the script's process group with SIGKILL when dropped while armed, so no process outlives
/// a run whose future was dropped half-way (a worker shutting down hard). Disarmed once
/// [`supervise`] has killed the group itself: the number could be reused after that.
struct GroupGuard(Option<Pid>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.take() {
            signal_group(pgid, Signal::SIGKILL);
        }
    }
}

fn signal_group(pgid: Pid, signal: Signal) {
    match killpg(pgid, signal) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(e) => {
            let pgid = pgid.as_raw();
            tracing::warn!(pgid, %signal, error = %e, "could not signal a script's process group");
        }
    }
}

fn group_is_gone(pgid: Pid) -> bool {
    matches!(killpg(pgid, None), Err(Errno::ESRCH))
}

/// How the main process ended.
enum Ended {
    Exited(std::io::Result<ExitStatus>),
    TimedOut,
    Cancelled,
}

#[expect(
    clippy::too_many_arguments,
    reason = "private step of `run`, which owns these values"
)]
async fn execute(
    settings: &ScriptSettings,
    run: &ScriptRun,
    prepared: &Prepared,
    env: Vec<(String, OsString)>,
    stdin_json: Vec<u8>,
    sink: &dyn LogSink,
    redactor: &Redactor,
    cancel: &CancellationToken,
) -> Result<Vec<Output>, String> {
    let outputs_path = prepared.work_dir.join("outputs.json");
    let mut cmd = command(settings, run, prepared, env, &outputs_path);
    // The count only: argument values may be long, and may hold secrets.
    let arguments = match run.args.len() {
        0 => "no arguments".to_string(),
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    };
    sink.line(
        Stream::System,
        &format!("running {} ({arguments})", run.program.display()),
    )
    .await;
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", prepared.prlimit.display()))?;
    let pgid = match child.id().and_then(|id| i32::try_from(id).ok()) {
        Some(id) => Pid::from_raw(id),
        None => return Err("the script's process vanished as it started".to_string()),
    };
    let mut group = GroupGuard(Some(pgid));

    let log = RunLog {
        sink,
        redactor,
        cap: settings.log_cap_bytes(),
        used: AtomicUsize::new(0),
        truncated: AtomicBool::new(false),
        last_stderr: Mutex::new(None),
    };
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let io = async {
        let feed = async {
            if let Some(mut stdin) = stdin {
                // The script may not read its stdin: a broken pipe is expected, not an error.
                let _ = stdin.write_all(&stdin_json).await;
                let _ = stdin.shutdown().await;
            }
        };
        tokio::join!(
            feed,
            pump(stdout, Stream::Stdout, &log),
            pump(stderr, Stream::Stderr, &log)
        );
    };
    tokio::pin!(io);
    let supervising = supervise(
        &mut child,
        pgid,
        run.timeout,
        settings.kill_grace,
        cancel,
        sink,
    );
    tokio::pin!(supervising);
    let mut io_done = false;
    let ended = loop {
        tokio::select! {
            ended = &mut supervising => break ended,
            () = &mut io, if !io_done => io_done = true,
        }
    };
    group.0 = None;
    if !io_done
        && tokio::time::timeout(DRAIN_AFTER_EXIT, &mut io)
            .await
            .is_err()
    {
        sink.line(
            Stream::System,
            "stopped reading output: a process that left the script's process group still holds it open",
        )
        .await;
    }

    match ended {
        Ended::TimedOut => Err(format!("timed out after {}", human(run.timeout))),
        Ended::Cancelled => Err("cancelled".to_string()),
        Ended::Exited(Err(e)) => Err(format!("could not wait for the script: {e}")),
        Ended::Exited(Ok(status)) => {
            let described = describe_exit(status, settings.cpu_seconds);
            sink.line(Stream::System, &described).await;
            if status.success() {
                read_outputs(&outputs_path, prepared.uid).await
            } else {
                let last = log.last_stderr.lock().ok().and_then(|l| l.clone());
                Err(match last {
                    Some(line) => format!(
                        "{described}: {}",
                        shorten(line.trim(), MAX_ERROR_LINE_CHARS)
                    ),
                    None => described,
                })
            }
        }
    }
}

/// `prlimit --cpu=… --as=… --nproc=… -- program args…` with the run user, a cleared environment,
/// piped stdio and its own process group.
fn command(
    settings: &ScriptSettings,
    run: &ScriptRun,
    prepared: &Prepared,
    env: Vec<(String, OsString)>,
    outputs_path: &Path,
) -> Command {
    let limit = |n: u64| {
        if n == 0 {
            "unlimited".to_string()
        } else {
            n.to_string()
        }
    };
    let mut cmd = Command::new(&prepared.prlimit);
    cmd.arg(format!("--cpu={}", limit(settings.cpu_seconds)))
        .arg(format!(
            "--as={}",
            limit(settings.memory_mb.saturating_mul(1024 * 1024))
        ))
        .arg(format!("--nproc={}", limit(settings.max_processes)))
        .arg("--")
        .arg(&run.program)
        .args(&run.args)
        .env_clear()
        .envs(env)
        .env("RUNWAY_OUTPUTS", outputs_path)
        .env("HOME", &prepared.work_dir)
        .env("TMPDIR", &prepared.work_dir)
        .current_dir(&prepared.work_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(u) = prepared.user {
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd
}

/// Waits for the main process, the timeout or the cancellation. On the last two, stops the group;
/// after a normal exit, kills whatever the script left running in its group.
async fn supervise(
    child: &mut Child,
    pgid: Pid,
    timeout: Duration,
    grace: Duration,
    cancel: &CancellationToken,
    sink: &dyn LogSink,
) -> Ended {
    let ended = tokio::select! {
        biased;
        status = child.wait() => {
            // Whatever the script left running in its group (the group outlives its leader).
            signal_group(pgid, Signal::SIGKILL);
            return Ended::Exited(status);
        }
        () = cancel.cancelled() => Ended::Cancelled,
        () = tokio::time::sleep(timeout) => Ended::TimedOut,
    };
    let why = match ended {
        Ended::Cancelled => "cancelled".to_string(),
        _ => format!("timed out after {}", human(timeout)),
    };
    sink.line(
        Stream::System,
        &format!(
            "{why}: stopping the script (SIGTERM, then SIGKILL after {})",
            human(grace)
        ),
    )
    .await;
    signal_group(pgid, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    let mut reaped = false;
    loop {
        reaped = reaped || matches!(child.try_wait(), Ok(Some(_)));
        let now = Instant::now();
        if (reaped && group_is_gone(pgid)) || now >= deadline {
            break;
        }
        tokio::time::sleep(GRACE_POLL.min(deadline - now)).await;
    }
    signal_group(pgid, Signal::SIGKILL);
    let _ = child.wait().await;
    ended
}

/// The log of one run: redaction, the size cap, and the last stderr line for the error message.
struct RunLog<'a> {
    sink: &'a dyn LogSink,
    redactor: &'a Redactor,
    cap: usize,
    used: AtomicUsize,
    truncated: AtomicBool,
    last_stderr: Mutex<Option<String>>,
}

impl RunLog<'_> {
    async fn line(&self, stream: Stream, raw: &[u8]) {
        let text = self.redactor.redact(&String::from_utf8_lossy(raw));
        if stream == Stream::Stderr && !text.trim().is_empty() {
            if let Ok(mut last) = self.last_stderr.lock() {
                *last = Some(text.clone());
            }
        }
        let cost = text.len() + 1;
        let used = self
            .used
            .fetch_add(cost, Ordering::Relaxed)
            .saturating_add(cost);
        if used > self.cap {
            if !self.truncated.swap(true, Ordering::Relaxed) {
                let note = format!(
                    "log truncated: the script printed more than {} bytes; the rest is discarded",
                    self.cap
                );
                self.sink.line(Stream::System, &note).await;
            }
            return;
        }
        self.sink.line(stream, &text).await;
    }
}

/// Reads one pipe to its end, line by line (lines longer than [`MAX_LINE_BYTES`] are split).
async fn pump(reader: Option<impl AsyncRead + Unpin>, stream: Stream, log: &RunLog<'_>) {
    let Some(mut reader) = reader else { return };
    let mut pending = Vec::with_capacity(MAX_LINE_BYTES);
    let mut chunk = vec![0u8; MAX_LINE_BYTES];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        while let Some(line) = next_line(&mut pending) {
            log.line(stream, &line).await;
        }
    }
    if !pending.is_empty() {
        log.line(stream, &pending).await;
    }
}

/// Takes the next complete line (without `\n` or `\r\n`) off `pending`, or its first
/// [`MAX_LINE_BYTES`] when no newline comes that soon (cut before a UTF-8 character, if possible).
fn next_line(pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let window = pending.len().min(MAX_LINE_BYTES + 1);
    if let Some(end) = pending[..window].iter().position(|&b| b == b'\n') {
        let mut line: Vec<u8> = pending.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Some(line);
    }
    // Wait for one byte past the limit: it may be the newline ending a line of exactly the limit.
    if pending.len() <= MAX_LINE_BYTES {
        return None;
    }
    let mut cut = MAX_LINE_BYTES;
    while cut > MAX_LINE_BYTES - 3 && pending[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    if pending[cut] & 0xC0 == 0x80 {
        cut = MAX_LINE_BYTES;
    }
    Some(pending.drain(..cut).collect())
}

/// Reads the outputs file, refusing anything but a regular file of the script's own (a script
/// could otherwise point Runway, often root, at a FIFO or at another user's file).
async fn read_outputs(path: &Path, owner: u32) -> Result<Vec<Output>, String> {
    let opened = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .await;
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            return Err(
                "the outputs file is a symbolic link; write a regular file at $RUNWAY_OUTPUTS"
                    .to_string(),
            )
        }
        Err(e) => return Err(format!("could not open the outputs file: {e}")),
    };
    let meta = file
        .metadata()
        .await
        .map_err(|e| format!("could not inspect the outputs file: {e}"))?;
    if !meta.is_file() || meta.uid() != owner {
        return Err("the outputs file is not a regular file written by the script".to_string());
    }
    if meta.len() > MAX_OUTPUTS_FILE_BYTES {
        return Err(format!(
            "the outputs file is larger than {} MiB",
            MAX_OUTPUTS_FILE_BYTES / (1024 * 1024)
        ));
    }
    let mut text = String::new();
    file.take(MAX_OUTPUTS_FILE_BYTES)
        .read_to_string(&mut text)
        .await
        .map_err(|e| format!("could not read the outputs file (it must be UTF-8 JSON): {e}"))?;
    parse_outputs(&text)
}

/// "exited with status 3", "killed by signal SIGKILL (9)".
fn describe_exit(status: ExitStatus, cpu_seconds: u64) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    let Some(number) = status.signal() else {
        return format!("ended abnormally ({status})");
    };
    let name = Signal::try_from(number).map_or("an unknown signal", Signal::as_str);
    let mut text = format!("killed by signal {name} ({number})");
    if number == Signal::SIGXCPU as i32 {
        text.push_str(&format!(": it used its CPU time limit of {cpu_seconds}s"));
    }
    text
}

use runway_domain::duration::elapsed as human;

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_at_newlines_and_at_the_length_limit() {
        let mut pending = b"one\r\ntwo\nthr".to_vec();
        assert_eq!(next_line(&mut pending), Some(b"one".to_vec()));
        assert_eq!(next_line(&mut pending), Some(b"two".to_vec()));
        assert_eq!(next_line(&mut pending), None);
        assert_eq!(pending, b"thr");

        let mut long = vec![b'x'; MAX_LINE_BYTES + 10];
        assert_eq!(next_line(&mut long).map(|l| l.len()), Some(MAX_LINE_BYTES));
        assert_eq!(long.len(), 10);

        let mut exact = vec![b'x'; MAX_LINE_BYTES];
        assert_eq!(next_line(&mut exact), None, "the newline may come next");
        exact.push(b'\n');
        assert_eq!(next_line(&mut exact).map(|l| l.len()), Some(MAX_LINE_BYTES));
        assert!(exact.is_empty());
    }

    #[test]
    fn long_lines_are_not_cut_inside_a_character() {
        let mut pending = vec![b'x'; MAX_LINE_BYTES - 1];
        pending.extend_from_slice("é and more".as_bytes());
        let first = next_line(&mut pending).unwrap_or_default();
        assert_eq!(first.len(), MAX_LINE_BYTES - 1);
        assert!(pending.starts_with("é".as_bytes()));
    }

    #[test]
    fn durations_read_like_the_catalogue_writes_them() {
        assert_eq!(human(Duration::from_secs(120)), "2m");
        assert_eq!(human(Duration::from_millis(300)), "300ms");
    }
}
