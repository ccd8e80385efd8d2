// graphile-worker measured the way `runway bench queue` measures Runway: N no-op jobs enqueued, then
// run with concurrency 16 until all are done; then enqueue-to-start latency with an idle runner.
//
//   node bench/graphile.mjs POSTGRES_URL default|batched [JOBS] [LATENCY_SAMPLES]

import { run, makeWorkerUtils, Logger } from 'graphile-worker';
import { performance } from 'node:perf_hooks';

const [, , connectionString, mode = 'default', jobsArg = '20000', samplesArg = '200'] = process.argv;
const JOBS = Number(jobsArg);
const SAMPLES = Number(samplesArg);
const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;

const worker =
  mode === 'batched'
    ? { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
    : {};

const logger = new Logger(() => () => {}); // quiet: per-job log lines would distort the timing
const utils = await makeWorkerUtils({ connectionString, logger });
await utils.migrate();

// Enqueue (in batches of 1,000, as Runway's benchmark does).
const enqueueStart = performance.now();
for (let done = 0; done < JOBS; done += 1000) {
  const n = Math.min(1000, JOBS - done);
  await utils.addJobs(Array.from({ length: n }, () => ({ identifier: 'noop', payload: {} })));
}
const enqueueSecs = (performance.now() - enqueueStart) / 1000;

let completed = 0;
let allDone;
const finished = new Promise((resolve) => (allDone = resolve));
const latencies = [];
let latencyWaiter = null;
const taskList = {
  noop: async () => {},
  latency: async (payload) => {
    latencies.push(nowMicros() - payload.t);
    latencyWaiter?.();
  },
};

const runStart = performance.now();
const runner = await run({
  connectionString,
  concurrency: 16,
  noHandleSignals: true,
  pollInterval: 1000,
  logger,
  taskList,
  preset: { worker: { ...worker, concurrentJobs: 16 } },
});
runner.events.on('job:success', ({ job }) => {
  if (job.task_identifier === 'noop' && ++completed === JOBS) allDone();
});
await finished;
const runSecs = (performance.now() - runStart) / 1000;
console.log(
  `graphile-worker ${mode}: ${JOBS} jobs, concurrency 16: enqueue ${(JOBS / enqueueSecs).toFixed(0)} jobs/s (${enqueueSecs.toFixed(2)} s); run ${(JOBS / runSecs).toFixed(0)} jobs/s (${runSecs.toFixed(2)} s); end to end ${(JOBS / (enqueueSecs + runSecs)).toFixed(0)} jobs/s`,
);

// Latency with an idle runner: one job at a time.
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < SAMPLES; i++) {
  const started = new Promise((resolve) => (latencyWaiter = resolve));
  await utils.addJob('latency', { t: nowMicros() });
  await started;
  await new Promise((r) => setTimeout(r, 10));
}
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies[Math.round((latencies.length - 1) * p)] / 1000).toFixed(2);
console.log(
  `graphile-worker ${mode} latency: enqueue-to-start with idle workers, ${latencies.length} samples: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`,
);

await runner.stop();
await utils.release();
