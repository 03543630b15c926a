// A lean closed-loop HTTP/1.1-over-TLS client: each connection sends one request, waits for the whole response,
// and sends the next. It writes the request as one string and parses only the status line, Content-Length or
// chunked framing, and Connection: close, so it costs the load core far less per request than autocannon (whose
// JS HTTP parser capped it below what one server core answers, see docs/benchmarks.md).
import { connect, type TLSSocket } from 'node:tls';
import { Samples } from '../lib/stats.ts';

export interface RawLoadOptions {
  host: string;
  port: number;
  path: string;
  ca: Buffer;
  connections: number;
  durationMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  nextBody: () => string;
  onStart?: () => void;
}

export interface RawLoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedSec: number;
  latency: Samples;
  bodyBytes: number;
  firstError?: string;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

export async function rawClosedLoop(options: RawLoadOptions): Promise<RawLoadResult> {
  const latency = new Samples(5_000_000);
  const result: RawLoadResult = { ok: 0, non2xx: 0, errors: 0, timeouts: 0, elapsedSec: 0, latency, bodyBytes: 0 };
  const headPrefix = `POST ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nContent-Type: application/json\r\nContent-Length: `;
  let deadline = 0;
  let started = 0;

  const fail = (kind: 'errors' | 'timeouts', message: string): void => {
    result[kind]++;
    result.firstError ??= message;
  };

  const connection = (): Promise<void> =>
    new Promise<void>((resolveConnection) => {
      let socket: TLSSocket | undefined;
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let inFlight = false;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;

      const open = (): void => {
        if (performance.now() >= deadline) return resolveConnection();
        closed = false;
        buffer = Buffer.alloc(0);
        const s = connect({ host: options.host, port: options.port, ca: options.ca, servername: undefined });
        socket = s;
        s.setNoDelay(true);
        s.once('secureConnect', send);
        s.on('data', onData);
        s.once('error', (error: Error) => {
          if (inFlight) fail('errors', error.message);
          else if (!closed) result.firstError ??= error.message;
        });
        s.once('close', () => {
          closed = true;
          if (timer) clearTimeout(timer);
          if (inFlight) {
            inFlight = false;
            fail('errors', 'connection closed with a request in flight');
          }
          if (socket === s) setImmediate(open);
        });
      };

      const send = (): void => {
        if (!socket || closed) return;
        if (performance.now() >= deadline) {
          socket.end();
          socket = undefined;
          return resolveConnection();
        }
        const body = options.nextBody();
        const length = Buffer.byteLength(body);
        result.bodyBytes += length;
        inFlight = true;
        sentAt = performance.now();
        timer = setTimeout(onTimeout, options.timeoutMs);
        socket.write(headPrefix + length + '\r\n\r\n' + body);
      };

      const onTimeout = (): void => {
        if (!inFlight) return;
        inFlight = false;
        fail('timeouts', `no answer within ${options.timeoutMs} ms`);
        socket?.destroy();
      };

      const onData = (chunk: Buffer): void => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        const headEnd = buffer.indexOf(CRLFCRLF);
        if (headEnd < 0) return;
        const head = buffer.toString('latin1', 0, headEnd);
        const status = Number(head.slice(9, 12));
        const lower = head.toLowerCase();
        let total: number;
        const lengthMatch = /\r\ncontent-length:\s*(\d+)/.exec(lower);
        if (lengthMatch) {
          total = headEnd + 4 + Number(lengthMatch[1]);
          if (buffer.length < total) return;
        } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
          const end = buffer.indexOf('\r\n0\r\n\r\n', headEnd + 4 - 2);
          if (end < 0) return;
          total = end + 7;
        } else {
          fail('errors', `response without framing: ${head.split('\r\n')[0]}`);
          socket?.destroy();
          return;
        }
        if (timer) clearTimeout(timer);
        inFlight = false;
        const elapsed = performance.now() - sentAt;
        if (status >= 200 && status < 300) {
          result.ok++;
          latency.push(elapsed);
        } else {
          result.non2xx++;
          result.firstError ??= `HTTP ${status}: ${buffer.toString('utf8', headEnd + 4, Math.min(total, headEnd + 300))}`;
        }
        buffer = buffer.length > total ? buffer.subarray(total) : Buffer.alloc(0);
        if (lower.includes('\r\nconnection: close')) {
          socket?.destroy();
          return;
        }
        send();
      };

      open();
    });

  started = performance.now();
  deadline = started + options.durationMs;
  options.onStart?.();
  await Promise.all(Array.from({ length: options.connections }, connection));
  result.elapsedSec = (performance.now() - started) / 1000;
  return result;
}
