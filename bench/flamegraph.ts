// Flame graphs from V8 .cpuprofile files (node --cpu-prof), as self-contained SVG: one box per function on a stack,
// as wide as the sampled time spent in it and in what it called; hovering a box shows its time and share. Several
// profiles (the server's threads) go into one graph under one root each, so the graph shows the whole process.
// Samples can be cut to a time window (the bench passes each capture step's window), and V8's "(idle)" samples are
// left out, so the widths are busy time only.
//
//   node bench/flamegraph.ts OUT.svg PROFILE.cpuprofile [PROFILE…] [--title T] [--from US --to US] [--top N]
//
// --top N also prints each thread's N functions with the most self time; --stages their time by capture stage.
//
// --from/--to are V8 profile timestamps in µs (CLOCK_MONOTONIC on Linux, the clock of process.hrtime).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/** The parts of V8's Profiler.Profile that a flame graph needs. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FlameNode {
  name: string;
  /** µs of samples in this frame or below. */
  total: number;
  children: FlameNode[];
}

export interface Window {
  fromUs: number;
  toUs: number;
}

const LEFT_OUT = new Set(['(idle)']);

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  const url = frame.url.replace(/^file:\/\/.*?\/(node_modules|src|bench|dist)\//, '$1/');
  return `${fn} ${url}:${frame.lineNumber + 1}`;
}

/** One profile's samples (in `window` if given) as a tree merged by function, weighted by sampled µs. */
export function profileTree(profile: CpuProfile, rootName: string, window?: Window): FlameNode {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    // Each sample stands for the time since the one before it.
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + Math.max(delta, 0));
  }
  const root: FlameNode = { name: rootName, total: 0, children: [] };
  for (const [id, micros] of self) {
    const stack: string[] = [];
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const node = byId.get(cursor)!;
      if (node.callFrame.functionName === '(root)' && !parent.has(cursor)) break;
      stack.push(frameName(node.callFrame));
    }
    if (stack.length > 0 && LEFT_OUT.has(stack[0]!)) continue;
    root.total += micros;
    let into = root;
    for (let level = stack.length - 1; level >= 0; level--) {
      const name = stack[level]!;
      let next = into.children.find((child) => child.name === name);
      if (!next) into.children.push((next = { name, total: 0, children: [] }));
      next.total += micros;
      into = next;
    }
  }
  return root;
}

const WIDTH = 1200;
const ROW = 16;
const TOP = 40;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Where the time went, by colour: our code, libraries, Node itself, V8's own work (GC, compiler, native). */
function colour(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  const shade = hash % 40;
  if (name.startsWith('(')) return `rgb(${200 + (shade % 30)},${90 + shade},${90 + shade})`;
  if (/ (src|dist)\//.test(name)) return `rgb(${230 + (shade % 25)},${150 + shade * 2},40)`;
  if (name.includes(' node_modules/')) return `rgb(${120 + shade},${180 + shade},${90 + shade})`;
  if (name.includes(' node:')) return `rgb(${110 + shade},${160 + shade},${220 + (shade % 30)})`;
  return `rgb(${200 + (shade % 40)},${200 + (shade % 40)},${120 + shade})`;
}

function depth(node: FlameNode): number {
  return 1 + Math.max(0, ...node.children.map(depth));
}

/** An SVG flame graph of `root` (its children are the threads); `subtitle` says what was sampled. */
export function renderFlameGraph(root: FlameNode, title: string, subtitle: string): string {
  const rows = depth(root);
  const height = TOP + rows * ROW + 10;
  const scale = root.total > 0 ? WIDTH / root.total : 0;
  const boxes: string[] = [];
  const draw = (node: FlameNode, x: number, level: number): void => {
    const width = node.total * scale;
    if (width < 0.3) return;
    const y = height - 10 - (level + 1) * ROW;
    const ms = node.total / 1000;
    const share = root.total > 0 ? (100 * node.total) / root.total : 0;
    const label = `${node.name} (${ms.toFixed(1)} ms, ${share.toFixed(1)}%)`;
    const chars = Math.floor((width - 6) / 6.6);
    const text = chars >= 3 ? (node.name.length > chars ? `${node.name.slice(0, chars - 2)}..` : node.name) : '';
    boxes.push(
      `<g><title>${escapeXml(label)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW - 1}" fill="${colour(node.name)}" rx="2"/>` +
        (text ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11.5}">${escapeXml(text)}</text>` : '') + '</g>',
    );
    let offset = x;
    for (const child of [...node.children].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      draw(child, offset, level + 1);
      offset += child.total * scale;
    }
  };
  draw(root, 0, 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdfdf6"/>`,
    `<text x="4" y="15" font-size="14">${escapeXml(title)}</text>`,
    `<text x="4" y="32" fill="#555">${escapeXml(subtitle)}</text>`,
    ...boxes,
    '</svg>',
    '',
  ].join('\n');
}

/** The thread's name for a profile file of node --cpu-prof (CPU.date.time.pid.threadId.seq.cpuprofile). */
export function threadLabel(file: string, busiestWorker: boolean): string {
  const threadId = basename(file).split('.')[4];
  if (threadId === '0') return 'main thread (HTTP, normalise, redact, patch, rules)';
  return busiestWorker ? `worker ${threadId} (SQLite writer)` : `worker ${threadId}`;
}

/** The functions with the most self time (µs) in a tree, summed over every stack they appear on. */
export function topSelf(root: FlameNode, count: number): Array<{ name: string; micros: number }> {
  const self = new Map<string, number>();
  const visit = (node: FlameNode): void => {
    const below = node.children.reduce((sum, child) => sum + child.total, 0);
    self.set(node.name, (self.get(node.name) ?? 0) + node.total - below);
    for (const child of node.children) visit(child);
  };
  for (const child of root.children) visit(child);
  return [...self].map(([name, micros]) => ({ name, micros })).sort((a, b) => b.micros - a.micros).slice(0, count);
}

/** Capture's stages, each known by the frames that belong to it; a sample counts for the deepest frame that matches. */
export const CAPTURE_STAGES: Array<{ stage: string; frame: RegExp }> = [
  { stage: 'HTTP, TLS, sockets, Fastify', frame: / node:(_http|https|net|tls|_tls|internal\/(tls|http|stream|streams|net))|node_modules\/(fastify|find-my-way|avvio|@fastify|pino)|^(writeUtf8String|writeBuffer|writev|shutdown|close|onconnection)( |$)/ },
  { stage: 'JSON.parse of the body', frame: /(src|dist)\/server\/routes\/capture\.(js|ts):(2[0-9]|3[0-9])$/ },
  { stage: 'capture rules (presets, CEL)', frame: /(src|dist)\/rules\/|node_modules\/@bufbuild\// },
  { stage: 'normalise, redact, patch, depth scan, event', frame: /(src|dist)\/(admission|capture)\/|node_modules\/fast-json-patch\/| node:internal\/crypto\// },
  { stage: 'hand-off to the writer (rows, encoding, postMessage)', frame: /(src|dist)\/store\/sqlite\/(sqlite-store|protocol)\.|^postMessage( |$)/ },
  { stage: 'SQLite append (insert, compress, commit, fsync)', frame: /(src|dist)\/store\/sqlite\/writer-worker\./ },
  { stage: 'garbage collector', frame: /^\(garbage collector\)$/ },
];

/** µs of a thread's busy samples per stage (CAPTURE_STAGES, then "other"), by the deepest frame that names a stage. */
export function stageTimes(thread: FlameNode, stages = CAPTURE_STAGES): Map<string, number> {
  const times = new Map<string, number>();
  const visit = (node: FlameNode, current: string): void => {
    const stage = stages.find((s) => s.frame.test(node.name))?.stage ?? current;
    const below = node.children.reduce((sum, child) => sum + child.total, 0);
    times.set(stage, (times.get(stage) ?? 0) + node.total - below);
    for (const child of node.children) visit(child, stage);
  };
  visit(thread, 'other (V8, Node internals, the rest)');
  return times;
}

/** One flame graph of several profiles (a process's threads), cut to `window`; writes the SVG to `out`. */
export function writeFlameGraph(out: string, files: string[], title: string, window?: Window, note = ''): { busyMs: number; root: FlameNode } {
  const trees = files.map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile }))
    .map(({ file, profile }) => ({ file, tree: profileTree(profile, '', window) }));
  const workers = trees.filter((t) => basename(t.file).split('.')[4] !== '0');
  const writer = workers.sort((a, b) => b.tree.total - a.tree.total)[0];
  const root: FlameNode = { name: 'all threads', total: 0, children: [] };
  for (const { file, tree } of trees) {
    if (tree.total === 0) continue;
    tree.name = threadLabel(file, tree === writer?.tree);
    root.children.push(tree);
    root.total += tree.total;
  }
  const windowText = window ? `${((window.toUs - window.fromUs) / 1e6).toFixed(1)} s window` : 'whole profile';
  const subtitle = `${windowText}; busy samples ${(root.total / 1000).toFixed(0)} ms (idle left out; a thread blocked in a system call such as fsync counts as busy)${note ? `; ${note}` : ''}`;
  writeFileSync(out, renderFlameGraph(root, title, subtitle));
  return { busyMs: root.total / 1000, root };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      title: { type: 'string', default: 'CPU flame graph' }, from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string' },
      stages: { type: 'boolean', default: false },
    },
  });
  const [out, ...files] = positionals;
  if (!out || files.length === 0) throw new Error('usage: node bench/flamegraph.ts OUT.svg PROFILE.cpuprofile [PROFILE…] [--title T] [--from US --to US]');
  const window = values.from !== undefined && values.to !== undefined ? { fromUs: Number(values.from), toUs: Number(values.to) } : undefined;
  const { busyMs, root } = writeFlameGraph(out, files, values.title ?? '', window);
  process.stdout.write(`wrote ${out} (${busyMs.toFixed(0)} ms of busy samples)\n`);
  for (const thread of root.children) {
    if (!values.stages) break;
    process.stdout.write(`${thread.name}: ${(thread.total / 1000).toFixed(0)} ms by stage\n`);
    for (const [stage, micros] of [...stageTimes(thread)].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`  ${((100 * micros) / thread.total).toFixed(1).padStart(5)}%  ${stage}\n`);
    }
  }
  for (const thread of root.children) {
    if (!values.top) break;
    process.stdout.write(`${thread.name}: ${(thread.total / 1000).toFixed(0)} ms\n`);
    for (const { name, micros } of topSelf({ ...root, children: [thread] }, Number(values.top))) {
      process.stdout.write(`  ${((100 * micros) / thread.total).toFixed(1).padStart(5)}%  ${name}\n`);
    }
  }
}
