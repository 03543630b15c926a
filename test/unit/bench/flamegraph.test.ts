// bench/flamegraph.ts over a small recorded-shape profile: idle left out, time per frame and per stage, the
// window cut, and an SVG with one box per frame.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { profileTree, renderFlameGraph, stageTimes, topSelf, type CpuProfile } from '../../../bench/flamegraph.ts';

const profile = JSON.parse(readFileSync(new URL('../../fixtures/bench/tiny.cpuprofile', import.meta.url), 'utf8')) as CpuProfile;

describe('flame graphs from .cpuprofile files', () => {
  it('weights each sample by its time and leaves idle out', () => {
    const tree = profileTree(profile, 'main');
    assert.equal(tree.total, 600);
    const handle = tree.children.find((node) => node.name === 'handle dist/capture/pipeline.js:42');
    assert.equal(handle?.total, 500);
    assert.deepEqual(handle?.children.map((child) => [child.name, child.total]).sort(), [
      ['deeperThan dist/admission/depth.js:8', 300],
      ['evaluateRules dist/rules/rules.js:117', 100],
    ]);
  });

  it('keeps only the samples inside a window', () => {
    // Samples are at 1100, 1200, …, 1800 µs.
    const tree = profileTree(profile, 'main', { fromUs: 1250, toUs: 1550 });
    assert.equal(tree.total, 300);
    assert.deepEqual(topSelf({ name: 'all', total: tree.total, children: [tree] }, 2), [
      { name: 'deeperThan dist/admission/depth.js:8', micros: 200 },
      { name: 'evaluateRules dist/rules/rules.js:117', micros: 100 },
    ]);
  });

  it('splits a thread by capture stage by the deepest frame that names one', () => {
    const times = stageTimes(profileTree(profile, 'main'));
    assert.equal(times.get('normalise, redact, patch, depth scan, event'), 400);
    assert.equal(times.get('capture rules (presets, CEL)'), 100);
    assert.equal(times.get('garbage collector'), 100);
  });

  it('draws one box per frame with its time and share', () => {
    const tree = profileTree(profile, 'main thread');
    const svg = renderFlameGraph({ name: 'all threads', total: tree.total, children: [tree] }, 'title', 'subtitle');
    assert.match(svg, /^<svg /);
    assert.equal(svg.match(/<rect x=/g)?.length, 6);
    assert.match(svg, /<title>deeperThan dist\/admission\/depth.js:8 \(0.3 ms, 50.0%\)<\/title>/);
  });
});
