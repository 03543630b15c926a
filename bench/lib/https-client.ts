// A small keep-alive HTTPS client for the query and durability phases (loopback, our own CA).
import { Agent, request } from 'node:https';

export interface HttpResult {
  status: number;
  body: string;
}

export class HttpsClient {
  readonly agent: Agent;
  readonly base: string;
  constructor(base: string, ca: Buffer, maxSockets = 8) {
    this.base = base;
    this.agent = new Agent({ keepAlive: true, maxSockets, ca, rejectUnauthorized: true });
  }

  send(method: 'GET' | 'POST', path: string, body?: string, timeoutMs = 10_000): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(this.base + path, { method, agent: this.agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async getJson<T>(path: string): Promise<T> {
    const res = await this.send('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
