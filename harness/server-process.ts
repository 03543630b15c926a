// Runs the real `logistis serve` as a child process, and talks to it over HTTPS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = process.execPath;

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the server and waits until it is ready. On a port of its own choosing it tries again on another when the
 * port was taken between freePort() and the listen (a client socket of a busy test may get it meanwhile).
 */
export async function startServer(args: string[], options: { caFile: string; port?: number; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(args, options);
    } catch (error) {
      if (options.port !== undefined || attempt === 3 || !(error as Error).message.includes('EADDRINUSE')) throw error;
    }
  }
}

async function startServerOnce(args: string[], options: { caFile: string; port?: number; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const port = options.port ?? await freePort();
  const child = spawn(NODE, [`${ROOT}src/cli/logistis.ts`, 'serve', '--listen', `127.0.0.1:${port}`, ...args], {
    cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const agent = new Agent({ ca: readFileSync(options.caFile), keepAlive: true, maxSockets: 64 });
  const request = (method: string, path: string, body?: unknown) => new Promise<{ status: number; body: string }>((resolveRequest, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest({
      host: '127.0.0.1', port, method, path, agent,
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolveRequest({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  const server: ServerProcess = {
    child, port, output: () => output, request,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      agent.destroy();
      return code;
    },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`logistis serve exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await request('GET', '/readyz')).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.kill('SIGKILL');
      throw new Error(`logistis serve did not become ready in 15 s:\n${output}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}
