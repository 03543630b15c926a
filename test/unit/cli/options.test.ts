import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlameError } from '../../../src/cli/blame/errors.ts';
import { commandName, parseArguments, parseTarget, type BlameRequest } from '../../../src/cli/blame/options.ts';

const NOW = Date.parse('2025-06-12T12:00:00Z');

function parse(argv: string[], env: Record<string, string> = {}): BlameRequest {
  const request = parseArguments(argv, { env, now: NOW, writeOut: () => {} });
  assert.ok(request, 'expected a request, got --help');
  return request;
}

/** The usage error `argv` gives: exit code 2 and a message matching `message`. */
function rejects(argv: string[], message: RegExp): void {
  assert.throws(() => parseArguments(argv, { env: {}, now: NOW, writeOut: () => {} }), (error: unknown) => {
    assert.ok(error instanceof BlameError, `not a BlameError: ${String(error)}`);
    assert.equal(error.exitCode, 2, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('parseArguments: which view', () => {
  it('no arguments: the overview of the last 24 hours', () => {
    assert.deepEqual(parse([]), { view: 'overview', connection: {}, color: true, since: '2025-06-11T12:00:00.000Z', output: 'table' });
  });
  it('--since sets the overview window, as a duration or RFC 3339', () => {
    assert.equal((parse(['--since', '7d']) as { since: string }).since, '2025-06-05T12:00:00.000Z');
    assert.equal((parse(['--since', '2025-06-12T09:30:00Z']) as { since: string }).since, '2025-06-12T09:30:00.000Z');
  });
  it('-n NS and -A: the changes in a namespace, or everywhere', () => {
    const ns = parse(['-n', 'shop']);
    assert.equal(ns.view, 'changes');
    assert.equal(ns.view === 'changes' && ns.namespace, 'shop');
    const all = parse(['-A']);
    assert.ok(all.view === 'changes' && all.allNamespaces && all.namespace === undefined);
  });
  it('TYPE/NAME, TYPE NAME and TYPE alone', () => {
    for (const argv of [['deploy/web'], ['deploy', 'web']]) {
      const r = parse(argv);
      assert.ok(r.view === 'changes');
      assert.equal(r.type, 'deploy');
      assert.equal(r.name, 'web');
    }
    const r = parse(['deployments.apps']);
    assert.ok(r.view === 'changes' && r.type === 'deployments.apps' && r.name === undefined);
  });
  it('defaults of the changes view', () => {
    assert.deepEqual(parse(['deploy/web', '-n', 'shop']), {
      view: 'changes', connection: {}, color: true, type: 'deploy', name: 'web', namespace: 'shop', allNamespaces: false,
      filters: {}, maxHistory: 50, confirmedOnly: false, format: 'table', output: 'table', diff: { context: 3, format: 'yaml' },
    });
  });
  it('--confirmed-only: for the history views only', () => {
    const r = parse(['deploy/web', '--confirmed-only']);
    assert.ok(r.view === 'changes' && r.confirmedOnly);
    assert.throws(() => parse(['deploy/web', '--fields', '--confirmed-only']), /--confirmed-only: only for the history views/);
  });
  it('-f diff with -U and --diff-format', () => {
    const r = parse(['deploy/web', '-f', 'diff', '-U', '5', '--diff-format', 'json']);
    assert.ok(r.view === 'changes');
    assert.equal(r.format, 'diff');
    assert.deepEqual(r.diff, { context: 5, format: 'json' });
    assert.equal((parse(['deploy/web', '--format=diff']) as { format: string }).format, 'diff');
  });
  it('filters: --user, --group, --operation (any case), --since, --until, --max-history', () => {
    const r = parse(['-A', '--user', 'alice', '--group', 'dev', '--operation', 'update', '--since', '2h', '--until', '1h', '--max-history', '7']);
    assert.ok(r.view === 'changes');
    assert.deepEqual(r.filters, {
      user: 'alice', userGroup: 'dev', operation: 'UPDATE', since: '2025-06-12T10:00:00.000Z', until: '2025-06-12T11:00:00.000Z',
    });
    assert.equal(r.maxHistory, 7);
  });
  it('--fields, --at, --revert', () => {
    assert.deepEqual(parse(['deploy/web', '--fields']), {
      view: 'fields', connection: {}, color: true, type: 'deploy', name: 'web', namespace: undefined, output: 'table',
    });
    const at = parse(['deploy', 'web', '--at', '90m', '-o', 'json']);
    assert.ok(at.view === 'at' && at.at === NOW - 90 * 60_000 && at.output === 'json');
    const at2 = parse(['deploy/web', '--at', '2025-06-12T09:30:00+02:00']);
    assert.ok(at2.view === 'at' && at2.at === Date.parse('2025-06-12T07:30:00Z'));
    const revert = parse(['deploy/web', '-n', 'shop', '--revert', '1003']);
    assert.deepEqual(revert, { view: 'revert', connection: {}, color: true, changeId: '1003', type: 'deploy', name: 'web', namespace: 'shop', output: 'yaml' });
    const byId = parse(['--revert', '1003']);
    assert.ok(byId.view === 'revert' && byId.type === undefined);
  });
  it('connection flags and --no-color', () => {
    const r = parse(['-n', 'shop', '--kubeconfig', '/tmp/kc', '--context', 'prod', '--no-color']);
    assert.deepEqual(r.connection, { kubeconfig: '/tmp/kc', context: 'prod' });
    assert.equal(r.color, false);
  });
  it('kubectl habits: -o=yaml, -n=shop, --namespace=shop, -nshop', () => {
    for (const argv of [['-n=shop', '-o=yaml'], ['--namespace=shop', '--output=yaml'], ['-nshop', '-oyaml']]) {
      const r = parse(argv);
      assert.ok(r.view === 'changes' && r.namespace === 'shop' && r.output === 'yaml', JSON.stringify(argv));
    }
  });
  it('-o wide, json, yaml', () => {
    for (const o of ['wide', 'json', 'yaml', 'TABLE']) assert.equal((parse(['-A', '-o', o]) as { output: string }).output, o.toLowerCase());
    assert.equal((parse(['-o', 'wide']) as { output: string }).output, 'wide');
  });
  it('--help shows help (with examples) and returns null', () => {
    let text = '';
    assert.equal(parseArguments(['--help'], { env: {}, now: NOW, writeOut: (t) => (text += t) }), null);
    assert.match(text, /^Usage: kubectl blame /);
    assert.match(text, /Examples:/);
    assert.match(text, /--revert <change-id>/);
    assert.match(text, /logistis-viewer/);
  });
  it('is called kubectl logistis when installed under that name', () => {
    assert.equal(commandName({ LOGISTIS_COMMAND: 'kubectl-logistis' }), 'kubectl logistis');
    assert.equal(commandName({}), 'kubectl blame');
    let text = '';
    parseArguments(['-h'], { env: { LOGISTIS_COMMAND: 'kubectl-logistis' }, now: NOW, writeOut: (t) => (text += t) });
    assert.match(text, /^Usage: kubectl logistis /);
    assert.match(text, /kubectl logistis deploy\/web -n shop --fields/);
  });
});

describe('parseArguments: wrong command lines are usage errors (exit code 2)', () => {
  it('unknown flags, with a suggestion', () => {
    rejects(['--bogus'], /unknown option '--bogus'/);
    rejects(['--namespaces', 'x'], /unknown option '--namespaces'.*Did you mean --namespace\?/s);
  });
  it('a flag without its value', () => rejects(['-n'], /option '-n, --namespace <namespace>' argument missing/));
  it('too many arguments', () => rejects(['deploy', 'web', 'api'], /too many arguments: give TYPE, TYPE NAME or TYPE\/NAME/));
  it('TYPE/NAME and NAME at once, or a bad TYPE/NAME', () => {
    rejects(['deploy/web', 'api'], /as TYPE\/NAME or as TYPE NAME, not both/);
    rejects(['deploy/'], /write TYPE\/NAME/);
    rejects(['/web'], /write TYPE\/NAME/);
    rejects(['deploy/web/x'], /write TYPE\/NAME/);
  });
  it('bad values', () => {
    rejects(['-A', '-o', 'xml'], /--output "xml": must be one of table, wide, json, yaml/);
    rejects(['-A', '-f', 'patch'], /--format "patch": must be one of table, diff/);
    rejects(['-A', '--operation', 'patch'], /--operation "patch": must be one of create, update, delete/);
    rejects(['-A', '--since', 'yesterday'], /--since "yesterday": give an RFC 3339 time .* or a duration such as/);
    rejects(['-A', '--max-history', '0'], /--max-history "0": give a whole number from 1 to 10000/);
    rejects(['-A', '--max-history', 'lots'], /--max-history "lots"/);
    rejects(['-A', '-f', 'diff', '-U', '-1'], /-U "-1"/);
    rejects(['deploy/web', '--at', 'noon'], /--at "noon"/);
    rejects(['-n', ''], /--namespace is empty/);
  });
  it('--since after --until', () => rejects(['-A', '--since', '1h', '--until', '2h'], /--since .* must be before --until/));
  it('views that do not go together', () => {
    rejects(['deploy/web', '--fields', '--at', '1h'], /--fields and --at are different views: choose one/);
    rejects(['deploy/web', '--fields', '-f', 'diff'], /--format: only for the diff view/);
    rejects(['deploy/web', '--at', '1h', '--user', 'bob'], /--user: only for the history views; --at reads the whole history/);
    rejects(['-A', '-f', 'diff', '-o', 'json'], /-f diff prints diffs and -o json prints the Change objects: choose one/);
    rejects(['-A', '-U', '5'], /-U only apply to diffs: add -f diff/);
  });
  it('object views need one object', () => {
    rejects(['--fields'], /--fields shows one object: give it as TYPE\/NAME/);
    rejects(['deploy', '--at', '1h'], /--at shows one object/);
    rejects(['deploy/web', '-A', '--fields'], /give its namespace with -n, not -A/);
    rejects(['deploy', '--revert', '12'], /--revert: give the object as TYPE\/NAME/);
    rejects(['deploy/web', '--revert', '12', '-o', 'table'], /--revert prints a manifest/);
    rejects(['deploy/web', '--at', '1h', '-o', 'wide'], /--at prints the object/);
    rejects(['deploy/web', '--fields', '-o', 'wide'], /--fields: -o table/);
  });
  it('one object across all namespaces, like kubectl', () => rejects(['deploy/web', '-A'], /cannot be found across all namespaces/));
  it('filters on the overview point to -A', () => {
    rejects(['--user', 'alice'], /the cluster overview takes only --since; to list changes with --user, add -A/);
    rejects(['-f', 'diff'], /overview takes only --since/);
  });
});

describe('parseTarget', () => {
  it('splits TYPE/NAME', () => {
    assert.deepEqual(parseTarget('deployments.apps/web', undefined), { type: 'deployments.apps', name: 'web' });
    assert.deepEqual(parseTarget('deploy', 'web'), { type: 'deploy', name: 'web' });
    assert.deepEqual(parseTarget(undefined, undefined), {});
  });
});
