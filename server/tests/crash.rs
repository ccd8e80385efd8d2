//! Crash safety with real processes: `runway worker`s are killed with SIGKILL at random moments while
//! canary jobs run. Afterwards every job has finished, none is lost, and any job that ran twice is
//! one whose worker was killed (or paused) mid-run (at-least-once, never silent loss). On SQLite and
//! Postgres.
//!
//! Canary jobs with requests also write a log line as they start and finish and an output (their
//! fencing token), as a script run does. On Postgres one worker is paused (SIGSTOP) past its lease
//! while it runs such a job, then resumed: its writes are stale by then, and must change nothing.
//! So afterwards each request's log lines come in fence order and its output names the last fence.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use runway_core::db::jobs::{self, NewJob, NewRequest};
use runway_core::db::Db;
use runway_core::queue::{now_ms, Queue};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Workers {
    url: String,
    children: Vec<Child>,
    killed: Vec<u32>,
    paused: Vec<u32>,
}

impl Workers {
    fn start_one(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_runway"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUNWAY_DATABASE_URL", &self.url)
            .env("RUNWAY_WORKER__CONCURRENCY", "4")
            // Four heartbeats a lease (the defaults have six: 30 s, 5 s): a worker slowed for a
            // moment by a busy machine keeps its jobs; only a killed or paused one loses them.
            // With two, one late heartbeat lost a lease while the machine compiled.
            .env("RUNWAY_WORKER__LEASE", "4s")
            .env("RUNWAY_WORKER__HEARTBEAT", "1s")
            .env("RUNWAY_WORKER__POLL_INTERVAL", "1s")
            .env("RUNWAY_LOG__FILTER", "warn")
            .current_dir(std::env::temp_dir())
            .arg("worker")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runway worker starts");
        self.children.push(child);
    }

    fn kill_random(&mut self) {
        let i = fastrand::usize(..self.children.len());
        let mut child = self.children.remove(i);
        self.killed.push(child.id());
        let _ = child.kill(); // SIGKILL: no chance to release anything
        let _ = child.wait();
    }
}

impl Workers {
    /// Pauses the live worker running one of `db`'s request jobs past its lease (SIGSTOP), lets
    /// another worker rescue and finish the job, then resumes it (SIGCONT): it wakes up stale.
    async fn pause_one_running_a_request(&mut self, db: &Db) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let pid = loop {
            let running = jobs::workers_running_requests(db).await.unwrap();
            let live = running.iter().find_map(|w| {
                self.children
                    .iter()
                    .map(Child::id)
                    .find(|pid| w.starts_with(&format!("worker-{pid}-")))
            });
            if let Some(pid) = live {
                break pid;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no request job ever ran on a live worker"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let signal = |sig: &str| {
            Command::new("kill")
                .args([sig, &pid.to_string()])
                .status()
                .expect("kill runs")
        };
        assert!(signal("-STOP").success());
        self.paused.push(pid);
        // Lease 4 s, poll 1 s, the job 500 ms: rescued and finished elsewhere well within this.
        tokio::time::sleep(Duration::from_millis(7_000)).await;
        assert!(signal("-CONT").success());
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        for child in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// Submits `n` canary jobs with requests (label `crash-req`), each running `sleep_ms`.
async fn submit_requests(queue: &Queue, n: usize, sleep_ms: u64) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let job = NewJob {
            kind: "canary".into(),
            action_id: None,
            concurrency_limit: None,
            payload: format!(r#"{{"label":"crash-req","sleep_ms":{sleep_ms},"writes":true}}"#),
            run_at_ms: now_ms(),
            max_attempts: 10,
            timeout_ms: 60_000,
        };
        let submitted = queue
            .submit(&NewRequest {
                action_id: "canary".into(),
                action_hash: "crash".into(),
                requester_id: None,
                team: None,
                inputs: "{}".into(),
                idempotency_key: None,
                executor: "canary".into(),
                job: Some(job),
                needs_approval: false,
                channel: Default::default(),
                made_by: None,
                ticket: None,
            })
            .await
            .unwrap();
        ids.push(submitted.request_id);
    }
    ids
}

/// Each request's log lines name their fence in fence order (no line of an earlier attempt after a
/// later one's), and a succeeded request's output is the fence of its last attempt. Returns how
/// many requests ran more than one attempt.
async fn no_stale_writes(db: &Db, requests: &[i64]) -> usize {
    let mut rerun = 0;
    for &id in requests {
        let lines = runway_core::db::requests::logs(db, id, 0, 1_000)
            .await
            .unwrap();
        let fences: Vec<i64> = lines
            .iter()
            .map(|l| {
                l.line
                    .split(' ')
                    .nth(1)
                    .and_then(|f| f.parse().ok())
                    .unwrap_or_else(|| panic!("request {id}: unexpected log line {:?}", l.line))
            })
            .collect();
        if fences.first() != fences.last() {
            rerun += 1;
        }
        assert!(
            fences.windows(2).all(|w| w[0] <= w[1]),
            "request {id}: a stale attempt wrote to the log after a later one: {:?}",
            lines.iter().map(|l| &l.line).collect::<Vec<_>>()
        );
        let (status, ..) = jobs::request_status(db, id).await.unwrap().unwrap();
        if status.as_str() != "succeeded" {
            continue;
        }
        let outputs = runway_core::db::requests::outputs(db, id).await.unwrap();
        let fence = outputs
            .iter()
            .find(|o| o.name == "fence")
            .and_then(|o| o.value.clone());
        assert_eq!(
            fence,
            fences.last().map(i64::to_string),
            "request {id}: the output is the last attempt's: {:?}",
            lines.iter().map(|l| &l.line).collect::<Vec<_>>()
        );
    }
    rerun
}

async fn killed_workers_lose_no_jobs(url: String, pause: bool) {
    let db = Db::connect(&url, 5).await.unwrap();
    db.migrate().await.unwrap();
    let queue = Queue::new(db.clone());
    let batch: Vec<NewJob> = (0..300)
        .map(|_| NewJob {
            kind: "canary".into(),
            action_id: None,
            concurrency_limit: None,
            payload: r#"{"label":"crash","sleep_ms":100}"#.into(),
            run_at_ms: now_ms(),
            max_attempts: 3,
            timeout_ms: 60_000,
        })
        .collect();
    let ids: HashSet<i64> = queue.enqueue(&batch).await.unwrap().into_iter().collect();
    let requests = submit_requests(&queue, 60, 500).await;

    let mut workers = Workers {
        url: url.clone(),
        children: Vec::new(),
        killed: Vec::new(),
        paused: Vec::new(),
    };
    for _ in 0..3 {
        workers.start_one();
    }
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(300..900))).await;
        workers.kill_random();
        workers.start_one();
    }
    // SQLite: a paused process may hold the one write lock, stalling every other worker's
    // heartbeat past its lease; stale writers are covered on SQLite by tests/tests/queue.rs.
    if pause {
        workers.pause_one_running_a_request(&db).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while jobs::count(&db).await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs left after 120 s: {}",
            jobs::count(&db).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let runs = jobs::canary_runs(&db, "crash").await.unwrap();
    let mut by_job: HashMap<i64, Vec<String>> = HashMap::new();
    for (job, _, worker) in runs {
        by_job.entry(job).or_default().push(worker);
    }
    let ran: HashSet<i64> = by_job.keys().copied().collect();
    assert_eq!(ran, ids, "every job ran at least once: none lost");
    let rerun_requests = no_stale_writes(&db, &requests).await;
    let killed: Vec<String> = workers
        .killed
        .iter()
        .chain(&workers.paused)
        .map(|pid| format!("worker-{pid}-"))
        .collect();
    for (job, executions) in &by_job {
        if executions.len() > 1 {
            for earlier in &executions[..executions.len() - 1] {
                assert!(
                    killed.iter().any(|k| earlier.starts_with(k)),
                    "job {job} ran again although its earlier worker {earlier} was not killed"
                );
            }
        }
    }
    let by_killed = by_job
        .values()
        .flatten()
        .filter(|w| killed.iter().any(|k| w.starts_with(k)))
        .count();
    assert!(
        by_killed > 0,
        "the kills hit workers while they were running jobs"
    );
    let repeated = by_job.values().filter(|e| e.len() > 1).count();
    eprintln!(
        "crash test: {} jobs, {} killed workers, {repeated} jobs ran again after a kill; \
         {} requests, {} paused workers, {rerun_requests} requests ran more than one attempt",
        ids.len(),
        workers.killed.len(),
        requests.len(),
        workers.paused.len()
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_no_jobs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    killed_workers_lose_no_jobs(
        format!("sqlite://{}", dir.path().join("runway.db").display()),
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_no_jobs_on_postgres() {
    let admin = std::env::var("RUNWAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("runway_crash_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-qc", sql])
            .output()
            .expect("psql")
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    assert!(psql(&format!("CREATE DATABASE {name}")).status.success());
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin)
        .to_string();
    killed_workers_lose_no_jobs(format!("{base}/{name}"), true).await;
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
