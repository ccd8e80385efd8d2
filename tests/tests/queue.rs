//! The queue contract, each point on SQLite and on Postgres.

use crate::support::queue::{drain, fast_config, QueueCheck};
use crate::support::{Backend, TestApp, TestDb};
use runway_core::config::WorkerSettings;
use runway_core::db::jobs::{self, Cancelled, NewJob, NewRequest, Outcome};
use runway_core::db::requests;
use runway_core::db::Db;
use runway_core::queue::handler::{Handler, Handlers, JobContext};
use runway_core::queue::worker::{self, Worker};
use runway_core::queue::{now_ms, Queue};
use runway_domain::request::RequestStatus;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn open(backend: Backend) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url, 20).await.unwrap();
    db.migrate().await.unwrap();
    (test_db, db)
}

fn canary(label: &str, extra: serde_json::Value) -> NewJob {
    let mut payload = serde_json::json!({ "label": label });
    if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    NewJob {
        kind: "canary".into(),
        action_id: None,
        concurrency_limit: None,
        payload: payload.to_string(),
        run_at_ms: now_ms(),
        max_attempts: 3,
        timeout_ms: 60_000,
    }
}

fn request(job: NewJob, key: Option<&str>) -> NewRequest {
    NewRequest {
        action_id: "create-repo".into(),
        action_hash: "hash".into(),
        requester_id: None,
        team: Some("payments".into()),
        inputs: "{}".into(),
        idempotency_key: key.map(str::to_string),
        executor: job.kind.clone(),
        job: Some(job),
        needs_approval: false,
        channel: Default::default(),
        made_by: None,
        ticket: None,
    }
}

fn start(
    queue: &Queue,
    config: WorkerSettings,
) -> (
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<()>,
    Arc<worker::WorkerStats>,
) {
    let w = Worker::new(queue.clone(), Handlers::builtin(), config);
    let stats = w.stats.clone();
    let (stop, handle) = worker::spawn(w);
    (stop, handle, stats)
}

async fn wait_for_status(db: &Db, request_id: i64, status: &str) {
    for _ in 0..400 {
        if jobs::request_status(db, request_id)
            .await
            .unwrap()
            .is_some_and(|(s, ..)| s.as_str() == status)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "request {request_id} never reached {status}: {:?}",
        jobs::request_status(db, request_id).await
    );
}

async fn no_job_is_ever_claimed_by_two_workers(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    // 16 busy workers on one SQLite writer can delay a heartbeat past a short test lease; the
    // production-like lease keeps this test about double claims, not about rescues.
    let config = WorkerSettings {
        lease: Duration::from_secs(30),
        heartbeat: Duration::from_secs(2),
        ..fast_config(4)
    };
    let workers: Vec<_> = (0..16).map(|_| start(&queue, config.clone())).collect();
    for _ in 0..10 {
        let batch: Vec<NewJob> = (0..1_000)
            .map(|_| canary("double", serde_json::json!({})))
            .collect();
        queue.enqueue(&batch).await.unwrap();
    }
    drain(&db, Duration::from_secs(180)).await;
    for (stop, handle, _) in workers {
        stop.cancel();
        handle.await.unwrap();
    }
    let runs = jobs::canary_runs(&db, "double").await.unwrap();
    assert_eq!(runs.len(), 10_000, "every job ran, and only once");
    let distinct: HashSet<i64> = runs.iter().map(|(id, ..)| *id).collect();
    assert_eq!(distinct.len(), 10_000);
    assert!(
        runs.iter().all(|(_, attempt, _)| *attempt == 1),
        "attempt = 1 everywhere"
    );
    let workers_used: HashSet<&str> = runs.iter().map(|(_, _, w)| w.as_str()).collect();
    assert!(workers_used.len() > 1, "the work was shared");
}

async fn a_job_whose_lease_expired_is_rescued_and_run_again(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let submitted = queue
        .submit(&request(canary("rescue", serde_json::json!({})), None))
        .await
        .unwrap();
    // A worker claims the job and dies without a heartbeat.
    let ghost = jobs::claim(&db, "ghost", 10, now_ms(), 200).await.unwrap();
    assert_eq!(ghost.len(), 1);
    let (stop, handle, stats) = start(&queue, fast_config(2));
    wait_for_status(&db, submitted.request_id, "succeeded").await;
    stop.cancel();
    handle.await.unwrap();
    assert_eq!(
        stats.rescued.load(Ordering::Relaxed),
        1,
        "the rescue is counted"
    );
    let events = jobs::request_event_kinds(&db, submitted.request_id)
        .await
        .unwrap();
    assert!(events.contains(&"rescued".to_string()), "{events:?}");
    let runs = jobs::canary_runs(&db, "rescue").await.unwrap();
    assert_eq!(runs.len(), 1, "the ghost never ran it; the rescuer did");
}

async fn a_stale_worker_cannot_record_anything(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let submitted = queue
        .submit(&request(canary("stale", serde_json::json!({})), None))
        .await
        .unwrap();
    let a = jobs::claim(&db, "worker-a", 1, now_ms(), 1)
        .await
        .unwrap()
        .remove(0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(jobs::rescue_expired(&db, now_ms()).await.unwrap().len(), 1);
    let b = jobs::claim(&db, "worker-b", 1, now_ms(), 60_000)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(a.id, b.id);
    assert!(b.fence > a.fence, "a new claim, a new fencing token");

    let done = |c: &jobs::ClaimedJob, outcome: Outcome| jobs::Completion {
        id: c.id,
        fence: c.fence,
        request_id: c.request_id,
        attempt: c.attempt,
        outcome,
    };
    assert!(
        jobs::complete(&db, &[done(&a, Outcome::Succeeded)])
            .await
            .unwrap()
            .is_empty(),
        "A's success is refused"
    );
    assert!(
        jobs::complete(&db, &[done(&a, Outcome::Cancelled)])
            .await
            .unwrap()
            .is_empty(),
        "and so is anything else A says"
    );
    assert!(
        jobs::heartbeat(&db, "worker-a", &[(a.id, a.fence)], now_ms(), 60_000)
            .await
            .unwrap()
            .is_empty(),
        "A's heartbeat finds no lease"
    );
    assert_eq!(
        jobs::release(&db, "worker-a", &[(a.id, a.fence)], now_ms())
            .await
            .unwrap(),
        0
    );
    // What A's run wrote is fenced too: B's outputs and log stand, A adds and replaces nothing.
    let request_id = submitted.request_id;
    let output = |value: &str| requests::NewOutput {
        name: "password".into(),
        label: None,
        kind: "text".into(),
        value: Some(value.into()),
        sealed: None,
    };
    let line = |text: &str| [("stdout", text.to_string())];
    assert!(
        requests::append_logs(&db, b.fence(), request_id, b.attempt, &line("B works"))
            .await
            .unwrap()
    );
    assert!(
        requests::save_outputs(&db, b.fence(), request_id, &[output("from B")])
            .await
            .unwrap()
    );
    assert!(
        !requests::save_outputs(&db, a.fence(), request_id, &[output("from A")])
            .await
            .unwrap(),
        "A's outputs are refused"
    );
    assert!(
        !requests::append_logs(&db, a.fence(), request_id, a.attempt, &line("A was here"))
            .await
            .unwrap(),
        "A's log lines are refused"
    );
    assert!(
        !requests::redact_logs(&db, a.fence(), request_id, b.attempt, &|_: &str| "gone"
            .to_string())
        .await
        .unwrap(),
        "A cannot rewrite the log either"
    );
    let outputs = requests::outputs(&db, request_id).await.unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].value.as_deref(), Some("from B"));
    let lines: Vec<String> = requests::logs(&db, request_id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert_eq!(lines, vec!["B works".to_string()]);
    assert_eq!(
        jobs::request_status(&db, submitted.request_id)
            .await
            .unwrap()
            .unwrap()
            .0,
        RequestStatus::Running,
        "B still runs it"
    );
    assert_eq!(
        jobs::complete(&db, &[done(&b, Outcome::Succeeded)])
            .await
            .unwrap(),
        vec![b.id]
    );
    assert_eq!(
        jobs::request_status(&db, submitted.request_id)
            .await
            .unwrap()
            .unwrap()
            .0,
        RequestStatus::Succeeded
    );
}

async fn failed_attempts_retry_with_backoff_then_succeed_or_fail_for_good(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let flaky = queue
        .submit(&request(
            canary("flaky", serde_json::json!({ "fail_attempts": 2 })),
            None,
        ))
        .await
        .unwrap();
    let mut doomed_job = canary("doomed", serde_json::json!({ "fail_attempts": 9 }));
    doomed_job.max_attempts = 2;
    let doomed = queue.submit(&request(doomed_job, None)).await.unwrap();
    let config = fast_config(4);
    let (base, max) = (
        config.backoff_base.as_millis() as i64,
        config.backoff_max.as_millis() as i64,
    );
    let (stop, handle, _) = start(&queue, config);
    wait_for_status(&db, flaky.request_id, "succeeded").await;
    wait_for_status(&db, doomed.request_id, "failed").await;
    stop.cancel();
    handle.await.unwrap();

    let starts: Vec<i64> = {
        let db2 = db.clone();
        runway_core::on_pool!(&db2, pool => sqlx::query_scalar::<_, i64>(
            "SELECT at_ms FROM canary_runs WHERE label = 'flaky' ORDER BY id").fetch_all(pool).await.unwrap())
    };
    assert_eq!(starts.len(), 3, "failed twice, then succeeded");
    for (i, gap) in starts.windows(2).map(|w| w[1] - w[0]).enumerate() {
        let (lo, hi) = runway_core::queue::backoff::bounds_ms(i as i64 + 1, base, max);
        // The poll interval (100 ms) and a busy machine may add a little; never less than the lower bound.
        assert!(
            gap >= lo && gap <= hi + 1_500,
            "retry {} came after {gap} ms, expected {lo}..={hi}",
            i + 1
        );
    }
    let events = jobs::request_event_kinds(&db, flaky.request_id)
        .await
        .unwrap();
    assert_eq!(
        events.iter().filter(|e| *e == "retry_scheduled").count(),
        2,
        "{events:?}"
    );
    let (status, attempts, errors) = jobs::request_status(&db, doomed.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("failed", 2));
    assert!(status.is_final());
    let errors: Vec<String> = serde_json::from_str(&errors).unwrap();
    assert_eq!(
        errors.len(),
        2,
        "every attempt's error is recorded: {errors:?}"
    );
}

async fn fifty_identical_submits_create_one_request(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                queue
                    .submit(&request(
                        canary("idem", serde_json::json!({})),
                        Some("form-123"),
                    ))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        ids.insert(s.request_id);
        created += usize::from(s.created);
    }
    assert_eq!(
        (ids.len(), created),
        (1, 1),
        "one request, returned to every submit"
    );
    assert_eq!(jobs::count(&db).await.unwrap(), 1, "one job");
    let (stop, handle, _) = start(&queue, fast_config(2));
    drain(&db, Duration::from_secs(30)).await;
    stop.cancel();
    handle.await.unwrap();
    // Once final, the key is free again: a new submit is a new request.
    let again = queue
        .submit(&request(
            canary("idem", serde_json::json!({})),
            Some("form-123"),
        ))
        .await
        .unwrap();
    assert!(again.created && !ids.contains(&again.request_id));
    jobs::cancel(&db, again.request_id, None).await.unwrap();
}

async fn cancelling_removes_queued_jobs_and_stops_running_ones(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let queued = queue
        .submit(&request(canary("cancel-q", serde_json::json!({})), None))
        .await
        .unwrap();
    assert_eq!(
        queue.cancel(queued.request_id, None).await.unwrap(),
        Cancelled::Removed
    );
    assert_eq!(jobs::count(&db).await.unwrap(), 0, "removed at once");
    assert_eq!(
        jobs::request_status(&db, queued.request_id)
            .await
            .unwrap()
            .unwrap()
            .0,
        RequestStatus::Cancelled
    );

    let running = queue
        .submit(&request(
            canary("cancel-r", serde_json::json!({ "sleep_ms": 60_000 })),
            None,
        ))
        .await
        .unwrap();
    let (stop, handle, stats) = start(&queue, fast_config(2));
    wait_for_status(&db, running.request_id, "running").await;
    assert_eq!(
        queue.cancel(running.request_id, None).await.unwrap(),
        Cancelled::Signalled
    );
    wait_for_status(&db, running.request_id, "cancelled").await;
    drain(&db, Duration::from_secs(10)).await;
    stop.cancel();
    handle.await.unwrap();
    assert_eq!(stats.cancelled.load(Ordering::Relaxed), 1);
    assert_eq!(
        jobs::canary_runs(&db, "cancel-r").await.unwrap().len(),
        1,
        "cancelled jobs are not retried"
    );
    assert_eq!(
        queue.cancel(running.request_id, None).await.unwrap(),
        Cancelled::AlreadyFinal
    );
}

async fn shutdown_lets_jobs_finish_then_releases_the_rest(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let quick = queue
        .submit(&request(
            canary("quick", serde_json::json!({ "sleep_ms": 100 })),
            None,
        ))
        .await
        .unwrap();
    let slow = queue
        .submit(&request(
            canary("slow", serde_json::json!({ "sleep_ms": 60_000 })),
            None,
        ))
        .await
        .unwrap();
    let (stop, handle, stats) = start(&queue, fast_config(4));
    wait_for_status(&db, slow.request_id, "running").await;
    stop.cancel();
    handle.await.unwrap();
    assert_eq!(
        jobs::request_status(&db, quick.request_id)
            .await
            .unwrap()
            .unwrap()
            .0,
        RequestStatus::Succeeded,
        "finished within the grace period"
    );
    assert_eq!(stats.released.load(Ordering::Relaxed), 1);
    assert_eq!(
        jobs::request_status(&db, slow.request_id)
            .await
            .unwrap()
            .unwrap()
            .0,
        RequestStatus::Queued,
        "released for other workers"
    );
    assert!(jobs::request_event_kinds(&db, slow.request_id)
        .await
        .unwrap()
        .contains(&"released".to_string()));
    let next = jobs::claim(&db, "next", 1, now_ms(), 60_000).await.unwrap();
    assert_eq!(next[0].attempt, 1, "a released attempt does not count");
    jobs::cancel(&db, slow.request_id, None).await.unwrap();
    jobs::complete(
        &db,
        &[jobs::Completion {
            id: next[0].id,
            fence: next[0].fence,
            request_id: next[0].request_id,
            attempt: 1,
            outcome: Outcome::Cancelled,
        }],
    )
    .await
    .unwrap();
}

async fn jobs_that_run_too_long_time_out(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let mut job = canary("slowpoke", serde_json::json!({ "sleep_ms": 30_000 }));
    job.timeout_ms = 300;
    job.max_attempts = 1;
    let submitted = queue.submit(&request(job, None)).await.unwrap();
    let (stop, handle, _) = start(&queue, fast_config(1));
    wait_for_status(&db, submitted.request_id, "failed").await;
    stop.cancel();
    handle.await.unwrap();
    let errors = jobs::request_status(&db, submitted.request_id)
        .await
        .unwrap()
        .unwrap()
        .2;
    assert!(errors.contains("timed out"), "{errors}");
}

/// Counts how many of its jobs run at once.
struct Probe {
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Handler for Probe {
    async fn run(&self, _ctx: &JobContext) -> Result<(), String> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn an_action_never_runs_more_jobs_than_its_limit(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let jobs_: Vec<NewJob> = (0..12)
        .map(|_| NewJob {
            kind: "probe".into(),
            action_id: Some("db".into()),
            concurrency_limit: Some(2),
            ..canary("x", serde_json::json!({}))
        })
        .collect();
    queue.enqueue(&jobs_).await.unwrap();
    let mut handles = Vec::new();
    for _ in 0..3 {
        let mut handlers = Handlers::builtin();
        handlers.register(
            "probe",
            Probe {
                running: running.clone(),
                peak: peak.clone(),
            },
        );
        let (stop, handle) = worker::spawn(Worker::new(queue.clone(), handlers, fast_config(8)));
        handles.push((stop, handle));
    }
    drain(&db, Duration::from_secs(60)).await;
    for (stop, handle) in handles {
        stop.cancel();
        handle.await.unwrap();
    }
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "at most (and, with 24 free slots, exactly) 2 at once"
    );
}

async fn idle_workers_start_new_jobs_without_waiting_for_a_poll(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let worker_queue = Queue::new(db.clone());
    let mut config = fast_config(2);
    config.poll_interval = Duration::from_secs(30);
    let (stop, handle, _) = start(&worker_queue, config);
    tokio::time::sleep(Duration::from_millis(300)).await; // let the worker go idle (and LISTEN)
                                                          // On Postgres, enqueue through a separate handle: only LISTEN/NOTIFY can wake the worker.
    let producer = if backend == Backend::Postgres {
        Queue::new(db.clone())
    } else {
        worker_queue.clone()
    };
    let mut latencies = Vec::new();
    for i in 0..5 {
        let t0 = now_ms();
        producer
            .enqueue(&[canary(&format!("wake-{i}"), serde_json::json!({}))])
            .await
            .unwrap();
        drain(&db, Duration::from_secs(5)).await;
        let runs = jobs::canary_runs(&db, &format!("wake-{i}")).await.unwrap();
        assert_eq!(runs.len(), 1);
        latencies.push(now_ms() - t0);
    }
    stop.cancel();
    handle.await.unwrap();
    assert!(
        latencies.iter().all(|ms| *ms < 2_000),
        "woken at once, not by the 30 s poll: {latencies:?}"
    );
}

async fn a_request_and_its_job_exist_together_or_not_at_all(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    // A job that violates the schema (state is fine, but max_attempts must be given) fails the whole
    // transaction: neither the request nor the job remains.
    let mut bad = request(canary("tx", serde_json::json!({})), None);
    if let Some(job) = bad.job.as_mut() {
        job.kind = String::new();
    }
    bad.requester_id = Some(999_999); // no such user: the request insert violates its foreign key
    assert!(queue.submit(&bad).await.is_err());
    let requests: i64 = runway_core::on_pool!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(pool).await.unwrap());
    assert_eq!((requests, jobs::count(&db).await.unwrap()), (0, 0));
    let good = queue
        .submit(&request(canary("tx", serde_json::json!({})), None))
        .await
        .unwrap();
    let events = jobs::request_event_kinds(&db, good.request_id)
        .await
        .unwrap();
    assert_eq!(events, vec!["submitted", "queued"]);
    let job_request: Option<i64> = runway_core::on_pool!(&db, pool => sqlx::query_scalar("SELECT request_id FROM jobs").fetch_one(pool).await.unwrap());
    assert_eq!(job_request, Some(good.request_id));
    queue.cancel(good.request_id, None).await.unwrap();
    let _ = HashMap::<i64, i64>::new();
}

/// A job whose every attempt takes its worker down (a crash, an OOM kill) is rescued each time;
/// each rescue counts as a failed attempt, so it ends failed after its retries instead of being
/// rescued forever.
async fn a_job_that_keeps_killing_its_worker_fails_after_its_retries(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let mut job = canary("killer", serde_json::json!({}));
    job.max_attempts = 2;
    let submitted = queue.submit(&request(job, None)).await.unwrap();
    for attempt in 1..=2 {
        // A worker claims it, and dies with it: no heartbeat, no completion.
        let claimed = jobs::claim(&db, "doomed-worker", 10, now_ms(), 1)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt} is claimed");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(jobs::rescue_expired(&db, now_ms()).await.unwrap().len(), 1);
    }
    assert_eq!(jobs::count(&db).await.unwrap(), 0, "not queued again");
    let (status, attempts, errors) = jobs::request_status(&db, submitted.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((status, attempts), (RequestStatus::Failed, 2));
    let errors: Vec<String> = serde_json::from_str(&errors).unwrap();
    assert_eq!(errors.len(), 2, "each rescued attempt's error: {errors:?}");
    assert!(errors[1].contains(jobs::RESCUED_ERROR), "{errors:?}");
    let events = jobs::request_event_kinds(&db, submitted.request_id)
        .await
        .unwrap();
    assert_eq!(
        events.iter().filter(|e| *e == "rescued").count(),
        2,
        "{events:?}"
    );
    assert_eq!(events.last().map(String::as_str), Some("failed"));
}

/// On SQLite, transactions that read before they write (cancel, revealing a secret output) take
/// the write lock first: while another connection writes all the time (a chatty script's log), a
/// deferred transaction could not become a writer and failed with "database is locked".
async fn cancel_and_reveal_succeed_while_another_connection_writes_continuously(backend: Backend) {
    let (_t, db) = open(backend).await;
    let _check = QueueCheck(db.clone());
    let queue = Queue::new(db.clone());
    let chatty = queue
        .submit(&request(canary("chatty", serde_json::json!({})), None))
        .await
        .unwrap();
    let running = jobs::claim(&db, "chatty-worker", 1, now_ms(), 600_000)
        .await
        .unwrap()
        .remove(0);
    let mut targets = Vec::new();
    for i in 0..40 {
        let job = NewJob {
            run_at_ms: now_ms() + 3_600_000, // stays queued: cancelled below
            ..canary("target", serde_json::json!({ "i": i }))
        };
        let id = queue.submit(&request(job, None)).await.unwrap().request_id;
        let secret = requests::NewOutput {
            name: "password".into(),
            label: None,
            kind: "secret".into(),
            value: None,
            sealed: Some(format!("sealed-{i}")),
        };
        runway_core::on_pool!(&db, pool => sqlx::query(
            "INSERT INTO request_outputs (request_id, name, label, kind, value, sealed, created_at) VALUES ($1, $2, NULL, $3, NULL, $4, $5)"
        ).bind(id).bind(&secret.name).bind(&secret.kind).bind(&secret.sealed).bind(chrono::Utc::now())
        .execute(pool).await.map(|_| ()).unwrap());
        targets.push(id);
    }

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop, fence) = (db.clone(), stop.clone(), running.fence());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let lines = [("stdout", format!("line {n}"))];
                requests::append_logs(&db, fence, chatty.request_id, 1, &lines)
                    .await
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    for id in &targets {
        let cancelled = jobs::cancel(&db, *id, None).await;
        assert!(
            matches!(cancelled, Ok(Cancelled::Removed)),
            "cancel {id}: {cancelled:?}"
        );
        let revealed = requests::take_secret_output(&db, *id, "password").await;
        assert!(
            matches!(&revealed, Ok(Some(v)) if v.starts_with("sealed-")),
            "reveal {id}: {revealed:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(
        written > 0,
        "the writer wrote while we cancelled and revealed"
    );
    jobs::complete(
        &db,
        &[jobs::Completion {
            id: running.id,
            fence: running.fence,
            request_id: running.request_id,
            attempt: running.attempt,
            outcome: Outcome::Succeeded,
        }],
    )
    .await
    .unwrap();
}

both_backends!(
    a_job_that_keeps_killing_its_worker_fails_after_its_retries,
    cancel_and_reveal_succeed_while_another_connection_writes_continuously,
);

/// A burst of jobs arrives before the database has statistics on them: the claim must still read
/// the ready jobs in claim order and stop at its limit, not read and sort every queued job (which
/// made each claim slower as the queue grew).
async fn the_claim_reads_ready_jobs_in_order_from_an_index_however_long_the_queue(
    backend: Backend,
) {
    let (_t, db) = open(backend).await;
    let queue = Queue::new(db.clone());
    let batch: Vec<NewJob> = (0..5_000)
        .map(|i| canary(&format!("burst-{i}"), serde_json::json!({})))
        .collect();
    queue.enqueue(&batch).await.unwrap();
    let plan = jobs::claim_plan(&db, now_ms()).await.unwrap();
    // Postgres: the partial index in claim order (its planner read and sorted every queued job
    // through `jobs_ready` before). SQLite: any index range already in claim order.
    let (index, sorts) = match backend {
        Backend::Postgres => ("jobs_ready_plain", "Sort"),
        Backend::Sqlite => ("USING INDEX jobs_ready", "TEMP B-TREE"),
    };
    assert!(plan.contains(index), "{plan}");
    assert!(!plan.contains(sorts), "no sort step: {plan}");
}

both_backends!(
    the_claim_reads_ready_jobs_in_order_from_an_index_however_long_the_queue,
    no_job_is_ever_claimed_by_two_workers,
    a_job_whose_lease_expired_is_rescued_and_run_again,
    a_stale_worker_cannot_record_anything,
    failed_attempts_retry_with_backoff_then_succeed_or_fail_for_good,
    fifty_identical_submits_create_one_request,
    cancelling_removes_queued_jobs_and_stops_running_ones,
    shutdown_lets_jobs_finish_then_releases_the_rest,
    jobs_that_run_too_long_time_out,
    an_action_never_runs_more_jobs_than_its_limit,
    idle_workers_start_new_jobs_without_waiting_for_a_poll,
    a_request_and_its_job_exist_together_or_not_at_all,
);

/// `runway serve` runs an in-process worker: a submitted request runs without any other process, and
/// the server still stops promptly.
async fn the_portal_runs_jobs_in_process_and_stops_cleanly(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| s.worker.in_process = true)
        .spawn()
        .await;
    let check = QueueCheck(app.runway.db.clone());
    let submitted = app
        .runway
        .queue
        .submit(&request(canary("in-process", serde_json::json!({})), None))
        .await
        .unwrap();
    wait_for_status(&app.runway.db, submitted.request_id, "succeeded").await;
    drop(check); // checked while the database is still open
    let stopped = tokio::time::timeout(Duration::from_secs(20), app.stop()).await;
    assert!(
        stopped.is_ok(),
        "serve with an in-process worker stops within 20 s"
    );
}

both_backends!(the_portal_runs_jobs_in_process_and_stops_cleanly);
