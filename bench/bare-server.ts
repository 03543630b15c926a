// Baseline 1, the limit: a bare Node HTTPS server that answers AdmissionReviews with allowed: true and does nothing
// else (read the body, parse the JSON, build the response). Whatever logistis does on top costs throughput against this.
//
//   node bench/bare-server.ts --listen 127.0.0.1:PORT --tls-cert-file CERT --tls-key-file KEY
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:0' },
    'tls-cert-file': { type: 'string' },
    'tls-key-file': { type: 'string' },
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
    try {
      if (size > MAX_BODY) throw new Error('body too large');
      const review = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as { apiVersion?: string; request?: { uid?: unknown } };
      if (typeof review.request?.uid !== 'string') throw new Error('request.uid missing');
      uid = review.request.uid;
      if (typeof review.apiVersion === 'string') apiVersion = review.apiVersion;
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      return;
    }
    const body = JSON.stringify({ apiVersion, kind: 'AdmissionReview', response: { uid, allowed: true } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
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
