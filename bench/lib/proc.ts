// Child processes for the benchmarks: start a server pinned to a core, wait until it answers, measure its CPU and
// peak RSS from /proc, stop it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { request as httpsRequest } from 'node:https';

const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(out.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
})();

export const HAVE_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Prefixes a command with `taskset -c CPU` when taskset works and a core is given. */
export function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  if (cpu === undefined || !HAVE_TASKSET) return [command, args];
  return ['taskset', ['-c', String(cpu), command, ...args]];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime from the text of a /proc stat file (a process's or one thread's), in seconds. */
function statCpuSeconds(stat: string): number {
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Peak resident set size (VmHWM) in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/**
 * utime + stime of each thread of a process, in seconds, by thread name (Node names its threads: MainThread, the
 * worker threads WorkerThread, V8's garbage collector and compiler helpers V8Worker; Go names none).
 */
export function cpuSecondsByThread(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    byName.set(name, (byName.get(name) ?? 0) + statCpuSeconds(stat));
  }
  return byName;
}

export class CpuMeter {
  private readonly pid: number;
  private cpu0 = 0;
  private threads0 = new Map<string, number>();
  private t0 = 0;
  constructor(pid: number) {
    this.pid = pid;
  }
  start(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.threads0 = cpuSecondsByThread(this.pid);
    this.t0 = performance.now();
  }
  /** Share of one core used since start(), in percent; CPU seconds in all and by thread name. */
  stop(): { cpuPercent: number; cpuSeconds: number; wallSeconds: number; threadSeconds: Record<string, number> } {
    const used = cpuSeconds(this.pid) - this.cpu0;
    const wall = (performance.now() - this.t0) / 1000;
    const threadSeconds: Record<string, number> = {};
    // Threads that ended during the window are missing from the end sample: their share goes unattributed.
    for (const [name, seconds] of cpuSecondsByThread(this.pid)) threadSeconds[name] = seconds - (this.threads0.get(name) ?? 0);
    return { cpuPercent: (100 * used) / wall, cpuSeconds: used, wallSeconds: wall, threadSeconds };
  }
}

/** Busy share of each core between start() and stop(), from /proc/stat: shows other work competing for the cores. */
export class CoreMeter {
  private start0: Array<[number, number]> = [];
  private static read(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!match) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]!.split(/\s+/).map(Number);
      const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
      out[Number(match[1])] = [busy, busy + idle! + iowait!];
    }
    return out;
  }
  start(): void {
    this.start0 = CoreMeter.read();
  }
  /** Percent busy per core. */
  stop(): number[] {
    const end = CoreMeter.read();
    return end.map(([busy, total], i) => {
      const [b0, t0] = this.start0[i] ?? [0, 0];
      return total > t0 ? (100 * (busy - b0)) / (total - t0) : NaN;
    });
  }
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  cpu?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** GET this URL until it answers 2xx. */
  readyUrl: string;
  logFile: string;
  readyTimeoutMs?: number;
  /** Ready on any HTTP answer, not only 2xx (for servers without a health endpoint). */
  readyAnyStatus?: boolean;
}

export class ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly logFile: string;

  private constructor(name: string, child: ChildProcess, logFile: string) {
    this.name = name;
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  static async start(spec: ServerSpec): Promise<ServerProcess> {
    const [command, args] = pinned(spec.cpu, spec.command, spec.args);
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    await new Promise<void>((resolve) => log.once('open', () => resolve()));
    const child = spawn(command, args, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', log, log] });
    const server = new ServerProcess(spec.name, child, spec.logFile);
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (!server.running) {
        throw new Error(`${spec.name} exited before it was ready (${JSON.stringify(server.exitInfo)}); see ${spec.logFile}:\n${tail(spec.logFile)}`);
      }
      if (await probe(spec.readyUrl, spec.readyAnyStatus)) return server;
      await sleep(50);
    }
    server.kill('SIGKILL');
    throw new Error(`${spec.name} was not ready at ${spec.readyUrl} within ${spec.readyTimeoutMs ?? 30_000} ms; see ${spec.logFile}:\n${tail(spec.logFile)}`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when GET url answers 2xx within a second. Accepts any certificate: it only asks "are you up". */
export function probe(url: string, anyStatus = false): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method: 'GET', rejectUnauthorized: false, timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(anyStatus || (res.statusCode ?? 500) < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Runs a command to completion, pinned if asked; rejects with its stderr on a non-zero exit. */
export function run(command: string, args: string[], options: { cpu?: number; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; stdoutFile?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  const [cmd, argv] = pinned(options.cpu, command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', options.stdoutFile ? 'pipe' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const out = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    if (out) child.stdout.pipe(out);
    else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const finish = (): void => {
        if (code === 0) resolve({ stdout, stderr });
        else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim().slice(-2000)}`));
      };
      if (out) out.end(finish);
      else finish();
    });
  });
}
