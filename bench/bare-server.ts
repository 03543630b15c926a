// Baseline 1, the limit: a bare Node HTTPS server that answers AdmissionReviews with allowed: true and does nothing
// else (read the body, parse the JSON, build the response). Whatever logistis does on top costs throughput against this.
// With --durable-file it is baseline 2, durable bare, the floor: it also appends each raw body to that file and
// answers only once an fdatasync has covered it, with group commit (the bodies that arrive while one write and sync
// are in flight go together in the next: one writev and one fdatasync per group). No durable recorder on this disk
// can acknowledge for less.
//
//   node bench/bare-server.ts --listen 127.0.0.1:PORT --tls-cert-file CERT --tls-key-file KEY [--durable-file PATH]
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:0' },
    'tls-cert-file': { type: 'string' },
    'tls-key-file': { type: 'string' },
    'durable-file': { type: 'string' },
  },
});
const certFile = values['tls-cert-file'];
const keyFile = values['tls-key-file'];
if (!certFile || !keyFile) {
  console.error('bare-server: --tls-cert-file and --tls-key-file are required');
  process.exit(2);
}
const [host, portText] = (values.listen ?? '').split(':');
if (host !== '127.0.0.1' || portText === undefined || !/^\d+$/.test(portText)) {
  console.error(`bare-server: --listen must be 127.0.0.1:PORT, got "${values.listen}"`);
  process.exit(2);
}

const MAX_BODY = 3 * 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/** An append-only file acknowledged by group commit: one writev and one fdatasync for all bodies waiting. */
class GroupCommitFile {
  readonly #file: FileHandle;
  #waiting: Array<{ body: Buffer; done: (error?: Error) => void }> = [];
  #committing = false;

  constructor(file: FileHandle) {
    this.#file = file;
  }

  /** Resolves once the body (and a newline after it) is on disk. */
  append(body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ body, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.#committing) void this.#commitWhileWaiting();
    });
  }

  async #commitWhileWaiting(): Promise<void> {
    this.#committing = true;
    while (this.#waiting.length > 0) {
      const group = this.#waiting;
      this.#waiting = [];
      let failure: Error | undefined;
      try {
        const buffers = group.flatMap(({ body }) => [body, NEWLINE]);
        const length = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
        const { bytesWritten } = await this.#file.writev(buffers);
        if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
        await this.#file.datasync();
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      for (const { done } of group) done(failure);
    }
    this.#committing = false;
  }
}

// Truncated at start: a fresh server starts from an empty file, as logistis starts on a fresh database.
const durable = values['durable-file'] ? new GroupCommitFile(await open(values['durable-file'], 'w')) : undefined;

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 30_000 }, (req, res) => {
  if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    let uid = '';
    let apiVersion = 'admission.k8s.io/v1';
    let raw: Buffer;
    try {
      if (size > MAX_BODY) throw new Error('body too large');
      raw = Buffer.concat(chunks, size);
      const review = JSON.parse(raw.toString('utf8')) as { apiVersion?: string; request?: { uid?: unknown } };
      if (typeof review.request?.uid !== 'string') throw new Error('request.uid missing');
      uid = review.request.uid;
      if (typeof review.apiVersion === 'string') apiVersion = review.apiVersion;
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      return;
    }
    const body = JSON.stringify({ apiVersion, kind: 'AdmissionReview', response: { uid, allowed: true } });
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    if (!durable) answer();
    else void durable.append(raw).then(answer, (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`not stored: ${String(error)}`));
  });
});

server.listen(Number(portText), host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(portText);
  console.log(JSON.stringify({ msg: 'listening', url: `https://${host}:${port}` }));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
