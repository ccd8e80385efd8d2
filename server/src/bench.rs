//! `runway bench queue`: measures the job queue on the configured database and prints figures.
//!
//! Two throughput figures: the *queue path* (N no-op jobs enqueued, then run by the workers: what
//! other queues measure) and the *request path* (each job with its request row and events, as the
//! portal submits them). Then enqueue-to-start latency with idle workers, one job at a time, woken
//! the way a separate producer wakes them (LISTEN/NOTIFY on Postgres, the in-process notifier on
//! SQLite). Use a scratch database: the benchmark leaves its requests behind.

use anyhow::Context;
use async_trait::async_trait;
use runway_core::config::Settings;
use runway_core::config::WorkerSettings;
use runway_core::db::jobs::{self, NewJob, NewRequest};
use runway_core::db::Db;
use runway_core::queue::handler::{Handler, Handlers, JobContext};
use runway_core::queue::worker::Worker;
use runway_core::queue::{now_ms, Queue};
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchQueue {
    /// Jobs per throughput run.
    #[arg(long, default_value_t = 20_000)]
    pub jobs: usize,
    /// Jobs run at once (in total, across --workers).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Worker instances sharing the concurrency (in this process).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Jobs each worker claims ahead of free slots (a local buffer).
    #[arg(long, default_value_t = 500)]
    pub prefetch: usize,
    /// Enqueue-to-start samples with idle workers.
    #[arg(long, default_value_t = 200)]
    pub latency_samples: usize,
    /// Postgres latency only: wake the worker in-process instead of through LISTEN/NOTIFY (a
    /// diagnostic that separates notification delivery from the claim itself).
    #[arg(long)]
    pub same_process_producer: bool,
    /// Which throughput runs: queue, request or both.
    #[arg(long, default_value = "both")]
    pub path: String,
}

fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

/// Records, for each job, the microseconds from enqueue (in its payload) to start.
struct LatencyProbe(mpsc::UnboundedSender<i64>);

#[async_trait]
impl Handler for LatencyProbe {
    async fn run(&self, ctx: &JobContext) -> Result<(), String> {
        let now = chrono::Utc::now().timestamp_micros();
        let sent: i64 = ctx.job.payload.parse().unwrap_or(now);
        let _ = self.0.send(now - sent);
        Ok(())
    }
}

fn noop_job() -> NewJob {
    NewJob {
        kind: "noop".into(),
        action_id: None,
        concurrency_limit: None,
        payload: "{}".into(),
        run_at_ms: now_ms(),
        max_attempts: 1,
        timeout_ms: 60_000,
    }
}

async fn drain(db: &Db) -> anyhow::Result<()> {
    while jobs::count(db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

fn config(args: &BenchQueue) -> WorkerSettings {
    WorkerSettings {
        concurrency: (args.concurrency / args.workers.max(1)).max(1),
        prefetch: args.prefetch,
        poll_interval: Duration::from_secs(1),
        ..WorkerSettings::default()
    }
}

async fn throughput(
    db: &Db,
    args: &BenchQueue,
    request_path: bool,
    label: &str,
) -> anyhow::Result<()> {
    let queue = Queue::new(db.clone());
    let started = Instant::now();
    if request_path {
        for i in 0..args.jobs {
            queue
                .submit(&NewRequest {
                    action_id: "bench".into(),
                    action_hash: "bench".into(),
                    requester_id: None,
                    team: Some("bench".into()),
                    inputs: "{}".into(),
                    idempotency_key: Some(format!("bench-{}-{i}", now_ms())),
                    executor: "noop".into(),
                    job: Some(noop_job()),
                    needs_approval: false,
                    channel: Default::default(),
                    made_by: None,
                    ticket: None,
                })
                .await?;
        }
    } else {
        for chunk in (0..args.jobs).collect::<Vec<_>>().chunks(1_000) {
            let batch: Vec<NewJob> = chunk.iter().map(|_| noop_job()).collect();
            queue.enqueue(&batch).await?;
        }
    }
    let enqueue_secs = started.elapsed().as_secs_f64();

    let run_started = Instant::now();
    let mut stops = Vec::new();
    for _ in 0..args.workers.max(1) {
        let (stop, handle) = runway_core::queue::worker::spawn(Worker::new(
            queue.clone(),
            Handlers::builtin(),
            config(args),
        ));
        stops.push((stop, handle));
    }
    drain(db).await?;
    let run_secs = run_started.elapsed().as_secs_f64();
    for (stop, handle) in stops {
        stop.cancel();
        let _ = handle.await;
    }
    out(&format!(
        "{label}: {} jobs, concurrency {}, prefetch {}: enqueue {:.0} jobs/s ({:.2} s); run {:.0} jobs/s ({:.2} s); end to end {:.0} jobs/s",
        args.jobs,
        args.concurrency,
        args.prefetch,
        args.jobs as f64 / enqueue_secs,
        enqueue_secs,
        args.jobs as f64 / run_secs,
        run_secs,
        args.jobs as f64 / (enqueue_secs + run_secs),
    ));
    Ok(())
}

async fn latency(db: &Db, args: &BenchQueue, label: &str) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handlers = Handlers::builtin();
    handlers.register("latency", LatencyProbe(tx));
    let worker_queue = Queue::new(db.clone());
    let cfg = WorkerSettings {
        poll_interval: Duration::from_secs(10),
        ..config(args)
    };
    let (stop, handle) =
        runway_core::queue::worker::spawn(Worker::new(worker_queue.clone(), handlers, cfg));
    tokio::time::sleep(Duration::from_millis(500)).await; // idle, listening
                                                          // On Postgres a separate producer handle: the wake-up must travel through LISTEN/NOTIFY.
    let producer = match db {
        Db::Postgres(_) if !args.same_process_producer => Queue::new(db.clone()),
        Db::Postgres(_) => worker_queue.clone(),
        Db::Sqlite(_) => worker_queue.clone(),
    };
    let mut samples = Vec::with_capacity(args.latency_samples);
    for _ in 0..args.latency_samples {
        let job = NewJob {
            kind: "latency".into(),
            payload: chrono::Utc::now().timestamp_micros().to_string(),
            ..noop_job()
        };
        producer.enqueue(&[job]).await?;
        let micros = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .context("a job did not start within 10 s")?;
        samples.push(micros.unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    let _ = handle.await;
    drain(db).await?;
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    out(&format!(
        "{label}: enqueue-to-start with idle workers, {} samples: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    ));
    Ok(())
}

pub async fn run(settings: Settings, args: BenchQueue) -> anyhow::Result<()> {
    let url = settings.effective_database_url();
    let db = Db::connect(&url, (args.concurrency as u32 + 8).max(10))
        .await
        .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    let backend = match db {
        Db::Postgres(_) => "postgres",
        Db::Sqlite(_) => "sqlite",
    };
    out(&format!(
        "runway bench queue on {backend} ({})",
        runway_core::config::redact_url(&url)
    ));
    if args.path == "queue" || args.path == "both" {
        throughput(&db, &args, false, &format!("{backend} queue path")).await?;
    }
    if args.path == "request" || args.path == "both" {
        throughput(&db, &args, true, &format!("{backend} request path")).await?;
    }
    if args.latency_samples > 0 {
        latency(&db, &args, &format!("{backend} latency")).await?;
    }
    db.close().await;
    Ok(())
}
