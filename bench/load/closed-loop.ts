// Closed-loop load at full speed: N keep-alive connections posting the review mix for a bounded time. Run as its
// own process (the runner pins it to a core apart from the server's). The engine is bench/load/raw-client.ts by
// default; "engine":"autocannon" uses autocannon instead (slower per request: on a 2-core machine it saturates its
// core before a bare Node server saturates its own).
//
//   node bench/load/closed-loop.ts '{"url":"https://127.0.0.1:PORT","path":"/capture","connections":64,"durationSec":20,"uidPrefix":"0a000001"}'
//
// Prints "STARTED" when the first request goes out, then one JSON line with the result.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { ReviewSource } from '../fixtures.ts';
import { Samples } from '../lib/stats.ts';
import { rawClosedLoop } from './raw-client.ts';

export interface ClosedLoopConfig {
  url: string;
  path: string;
  connections: number;
  durationSec: number;
  uidPrefix: string;
  caFile: string;
  engine?: 'raw' | 'autocannon';
}

export interface ClosedLoopResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedSec: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  bodyBytes: number;
  engine: string;
  /** The load generator's own CPU over the run, in percent of one core. */
  loadCpuPercent: number;
  firstError?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ClosedLoopConfig;
if (!config.url?.startsWith('https://127.0.0.1:')) throw new Error('closed-loop: url must be https://127.0.0.1:PORT');
if (!(config.durationSec > 0 && config.durationSec <= 300)) throw new Error('closed-loop: durationSec must be in (0, 300]');

const source = new ReviewSource({ uidPrefix: config.uidPrefix });
let cpuAtStart = process.cpuUsage();
const loadCpuPercent = (elapsedSec: number): number => {
  const used = process.cpuUsage(cpuAtStart);
  return (used.user + used.system) / 1e4 / elapsedSec;
};

if ((config.engine ?? 'raw') === 'raw') {
  const url = new URL(config.url);
  const r = await rawClosedLoop({
    host: url.hostname,
    port: Number(url.port),
    path: config.path,
    ca: readFileSync(config.caFile),
    connections: config.connections,
    durationMs: config.durationSec * 1000,
    timeoutMs: 10_000,
    nextBody: () => source.next().body,
    onStart: () => {
      cpuAtStart = process.cpuUsage();
      console.log('STARTED');
    },
  });
  const p = r.latency.percentiles();
  const out: ClosedLoopResult = {
    ok: r.ok, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, elapsedSec: r.elapsedSec,
    requestsPerSec: r.ok / r.elapsedSec,
    latencyMs: { p50: p.p50, p99: p.p99, p999: p.p999, max: p.max, mean: p.mean },
    bodyBytes: r.bodyBytes, engine: 'raw', loadCpuPercent: loadCpuPercent(r.elapsedSec),
  };
  if (r.firstError) out.firstError = r.firstError;
  console.log(JSON.stringify(out));
} else {
  runAutocannon();
}

function runAutocannon(): void {
  const samples = new Samples(5_000_000);
  let bodyBytes = 0;
  let started = 0;
  const instance = autocannon(
    {
      url: config.url,
      connections: config.connections,
      pipelining: 1,
      duration: config.durationSec,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: config.path,
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            const review = source.next();
            bodyBytes += review.body.length;
            request.body = review.body;
            return request;
          },
        },
      ],
    },
    (error, result) => {
      if (error) {
        console.error(String(error));
        process.exit(1);
      }
      const elapsedSec = (performance.now() - started) / 1000;
      const p = samples.percentiles();
      const out: ClosedLoopResult = {
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        elapsedSec,
        requestsPerSec: result['2xx'] / elapsedSec,
        latencyMs: { p50: p.p50, p99: p.p99, p999: p.p999, max: p.max, mean: p.mean },
        bodyBytes,
        engine: 'autocannon',
        loadCpuPercent: loadCpuPercent(elapsedSec),
      };
      console.log(JSON.stringify(out));
    },
  );
  instance.on('start', () => {
    started = performance.now();
    cpuAtStart = process.cpuUsage();
    console.log('STARTED');
  });
  instance.on('response', (_client: unknown, _statusCode: number, _bytes: number, responseTimeMs: number) => {
    samples.push(responseTimeMs);
  });
}
