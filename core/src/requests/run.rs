//! Running a request: the queue handler for `script` and `webhook` jobs. It loads the request and
//! the exact action version it was submitted against, opens its sealed secrets, renders the run
//! templates, calls the executor (`runway_exec`), and stores the log and outputs.

use super::{seal_outputs, JobPayload};
use crate::db::catalog::version_spec;
use crate::db::jobs::Fence;
use crate::db::requests as sql;
use crate::db::Db;
use crate::queue::handler::{Handler, JobContext};
use crate::state::Runway;
use async_trait::async_trait;
use runway_domain::spec::{ActionSpec, RunSpec};
use runway_domain::template::{render_json, render_text};
use runway_exec::script::{self, ScriptRun, ScriptSettings};
use runway_exec::webhook::{self, WebhookCall, WebhookSettings};
use runway_exec::{LogSink, OutputKind, Redactor, Stream};
use serde_json::{Map, Value};
use std::time::Duration;

/// Runs the `script` and `webhook` jobs of requests.
pub struct ActionHandler {
    rw: Runway,
    script: ScriptSettings,
    webhook: WebhookSettings,
}

impl ActionHandler {
    pub fn new(rw: Runway) -> Self {
        let mut script = rw.settings.scripts.clone();
        script.work_root = rw.settings.script_work_root();
        let webhook = rw.settings.webhooks.clone();
        Self {
            rw,
            script,
            webhook,
        }
    }
}

/// How long past the action's timeout a run may take to stop by itself: the script's kill grace,
/// then reading the last output, storing the last log lines and the outputs.
const STOP_MARGIN: Duration = Duration::from_secs(10);

/// Stores the request's log. `line` only queues the line, so a slow database never holds up the
/// executor reading a script's output; a writer task stores queued lines in batches, and
/// [`DbSink::finish`] waits until every line is stored. Every batch names the attempt's fence:
/// once the claim is lost, nothing more is stored.
struct DbSink {
    tx: tokio::sync::mpsc::UnboundedSender<(Stream, String)>,
    writer: tokio::task::JoinHandle<()>,
}

impl DbSink {
    fn start(db: Db, fence: Fence, request_id: i64, attempt: i64) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Stream, String)>();
        let writer = tokio::spawn(async move {
            let mut fenced_out = false;
            while let Some(first) = rx.recv().await {
                let mut batch = vec![(first.0.as_str(), first.1)];
                while batch.len() < 500 {
                    match rx.try_recv() {
                        Ok((s, l)) => batch.push((s.as_str(), l)),
                        Err(_) => break,
                    }
                }
                // Still drained after a lost claim, so the executor never blocks on the channel.
                if fenced_out {
                    continue;
                }
                match sql::append_logs(&db, fence, request_id, attempt, &batch).await {
                    Ok(true) => {}
                    Ok(false) => {
                        fenced_out = true;
                        tracing::warn!(
                            request = request_id,
                            job = fence.job_id,
                            "claim lost: this attempt's log lines are no longer stored"
                        );
                    }
                    Err(e) => {
                        tracing::warn!(request = request_id, error = %e, "cannot store log lines")
                    }
                }
            }
        });
        Self { tx, writer }
    }

    /// Waits until every queued line is stored.
    async fn finish(self) {
        drop(self.tx);
        let _ = self.writer.await;
    }
}

#[async_trait]
impl LogSink for DbSink {
    async fn line(&self, stream: Stream, text: &str) {
        let _ = self.tx.send((stream, text.to_string()));
    }
}

#[async_trait]
impl Handler for ActionHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), String> {
        let request_id = ctx.job.request_id.ok_or("this job has no request to run")?;
        let rw = &self.rw;
        let internal = |what: &str, e: &dyn std::fmt::Display| {
            tracing::error!(request = request_id, error = %e, "{what}");
            format!("Runway could not {what}; the platform team can see why in the server log")
        };
        let row = sql::get(&rw.db, request_id)
            .await
            .map_err(|e| internal("load the request", &e))?
            .ok_or("the request no longer exists")?;
        let spec_json = version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await
            .map_err(|e| internal("load the action version", &e))?
            .ok_or("the action version this request was submitted against is not recorded")?;
        let spec: ActionSpec = serde_json::from_str(&spec_json)
            .map_err(|e| internal("read the action version", &e))?;
        let mut values: Map<String, Value> = serde_json::from_str(&row.inputs)
            .map_err(|e| internal("read the request's inputs", &e))?;
        let payload: JobPayload = serde_json::from_str(&ctx.job.payload).unwrap_or_default();
        let mut redactor = Redactor::default();
        let mut secret_inputs: Map<String, Value> = Map::new();
        if let Some(sealed) = &payload.sealed_secrets {
            let plain = rw
                .secrets
                .open(request_id, sealed)
                .map_err(|e| internal("open the request's secret inputs", &e))?;
            let secrets: Map<String, Value> = serde_json::from_slice(&plain)
                .map_err(|e| internal("read the request's secret inputs", &e))?;
            for v in secrets.values() {
                redactor.add(&runway_domain::template::value_text(Some(v)));
            }
            values.extend(secrets.clone());
            secret_inputs = secrets;
        }
        if let Some(s) = self.webhook.signing_secret.configured() {
            redactor.add(s);
        }
        let fence = ctx.job.fence();
        let sink = DbSink::start(rw.db.clone(), fence, request_id, ctx.job.attempt);
        if let Some(missing) = missing_catalog_var(rw, &spec) {
            let msg = format!(
                "the action uses the catalogue variable `{{{{config.{missing}}}}}`, which is not configured \
                 (set catalog_vars.{missing} or RUNWAY_CATALOG_VARS__{})",
                missing.to_uppercase()
            );
            sink.line(Stream::System, &msg).await;
            sink.finish().await;
            return Err(msg);
        }
        let timeout = Duration::from_millis(u64::try_from(ctx.job.timeout_ms).unwrap_or(0));
        let result = match &spec.run {
            RunSpec::Script { command, args } => {
                let catalog_dir = rw.catalog.dir().to_path_buf();
                let program = std::path::absolute(catalog_dir.join(command))
                    .map_err(|e| internal("find the script", &e))?;
                let rendered = render_with_vars(rw, &values, |v| {
                    args.iter().map(|a| render_text(a, v)).collect::<Vec<_>>()
                })?;
                let mut inputs = values.clone();
                inputs.retain(|name, _| !secret_inputs.contains_key(name));
                let run = ScriptRun {
                    program,
                    args: rendered,
                    inputs,
                    secret_inputs: secret_inputs.clone(),
                    timeout,
                    state_dir: Some(
                        std::path::absolute(rw.settings.script_state_root().join(spec.id.as_str()))
                            .map_err(|e| internal("find the state directory", &e))?,
                    ),
                    request_id,
                    action_id: spec.id.to_string(),
                };
                script::run(&self.script, &run, &sink, &redactor, &ctx.cancel).await
            }
            RunSpec::Webhook {
                method,
                url,
                headers,
                body,
                poll,
            } => {
                let call = render_with_vars(rw, &values, |v| WebhookCall {
                    method: *method,
                    url: render_text(url, v),
                    headers: headers
                        .iter()
                        .map(|(k, t)| (k.clone(), render_text(t, v)))
                        .collect(),
                    body: body.as_ref().map(|b| render_json(b, v)),
                    message_id: format!("msg_runway_request_{request_id}"),
                    poll: poll.clone(),
                    deadline: timeout,
                })?;
                webhook::call(&self.webhook, &call, &sink, &redactor, &ctx.cancel).await
            }
            RunSpec::Manual { .. } => {
                Err("manual requests are fulfilled by a person, not a worker".to_string())
            }
        };
        let result = match result {
            Err(e) => {
                let e = redactor.redact(&e);
                sink.line(
                    Stream::System,
                    &format!("attempt {} failed: {e}", ctx.job.attempt),
                )
                .await;
                Err(e)
            }
            ok => ok,
        };
        sink.finish().await;
        let outputs = result?;
        // A secret the run reported is redacted from its log too, lines already stored included.
        let secret_outputs: Vec<&str> = outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Secret)
            .map(|o| o.value.as_str())
            .collect();
        if !secret_outputs.is_empty() {
            for value in secret_outputs {
                redactor.add(value);
            }
            let redact = |line: &str| redactor.redact(line);
            sql::redact_logs(&rw.db, fence, request_id, ctx.job.attempt, &redact)
                .await
                .map_err(|e| internal("redact the log", &e))?;
        }
        let rows = seal_outputs(rw, request_id, &outputs)
            .map_err(|e| internal("seal the secret outputs", &e))?;
        let stored = sql::save_outputs(&rw.db, fence, request_id, &rows)
            .await
            .map_err(|e| internal("store the outputs", &e))?;
        if !stored {
            return Err(
                "this attempt lost its claim on the job to another worker; its outputs were not stored"
                    .to_string(),
            );
        }
        Ok(())
    }

    fn overrun(&self) -> Duration {
        self.script.kill_grace + STOP_MARGIN
    }
}

/// Renders with the request's values plus `config.<name>` catalogue variables. A template that
/// names a variable the configuration lacks is an error that says which.
fn render_with_vars<T>(
    rw: &Runway,
    values: &Map<String, Value>,
    render: impl FnOnce(&Map<String, Value>) -> T,
) -> Result<T, String> {
    let mut all = values.clone();
    for (k, v) in &rw.settings.catalog_vars {
        all.insert(format!("config.{k}"), Value::String(v.clone()));
    }
    Ok(render(&all))
}

/// The first `{{config.<name>}}` the action's run section uses that the configuration lacks.
fn missing_catalog_var(rw: &Runway, spec: &ActionSpec) -> Option<String> {
    let text = serde_json::to_string(&spec.run).ok()?;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        if let Some(name) = after[..end].trim().strip_prefix("config.") {
            if !rw.settings.catalog_vars.contains_key(name) {
                return Some(name.to_string());
            }
        }
        rest = &after[end + 2..];
    }
    None
}

/// Every handler a Runway worker runs: the executors, plus the built-in test handlers.
pub fn handlers(rw: &Runway) -> crate::queue::handler::Handlers {
    let mut h = crate::queue::handler::Handlers::builtin();
    let shared = std::sync::Arc::new(ActionHandler::new(rw.clone()));
    h.register("script", SharedHandler(shared.clone()));
    h.register("webhook", SharedHandler(shared));
    h.register_outbox(
        crate::notify::JOB_KIND,
        crate::notify::NotifyHandler::new(rw.clone()),
    );
    h.register(
        crate::jira::COMMENT_JOB,
        crate::jira::CommentHandler::new(rw),
    );
    h
}

struct SharedHandler(std::sync::Arc<ActionHandler>);

#[async_trait]
impl Handler for SharedHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), String> {
        self.0.run(ctx).await
    }

    fn overrun(&self) -> Duration {
        self.0.overrun()
    }
}
