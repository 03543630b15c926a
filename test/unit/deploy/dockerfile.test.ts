// The Dockerfile, checked without a Docker engine: dockerfile-utils (the linter behind the VS Code Docker
// extension) must find nothing, and the parsed instructions must say what docs/deploy.md promises: two stages
// from BASEIMAGE and RUNIMAGE, production dependencies only, a numeric non-root user, node as PID 1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { SERVE_NODE_FLAGS } from '../../../src/cli/node-flags.ts';

const DOCKERFILE = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
const DOCKERIGNORE = readFileSync(new URL('../../../.dockerignore', import.meta.url), 'utf8');

function stageInstructions(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** Everything after the keyword, flags such as --from included. */
const args = (instruction: Instruction) => instruction.getTextContent().replace(/^\s*\w+\s+/, '').trim();

describe('Dockerfile', () => {
  it('has no lint findings, warnings included', () => {
    const strict = {
      deprecatedMaintainer: ValidationSeverity.ERROR, directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR, instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR, instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR, instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    const findings = validate(DOCKERFILE, strict).map((d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`);
    assert.deepEqual(findings, []);
  });

  it('the linter does catch a broken Dockerfile', () => {
    const findings = validate('FROM node:24\nWORKDIR app\nEXPOSE eighty\nCOPY\n', { instructionWorkdirRelative: ValidationSeverity.ERROR });
    assert.ok(findings.length >= 3, JSON.stringify(findings.map((d) => d.message)));
  });

  it('builds from BASEIMAGE and runs on RUNIMAGE, both defaulting to Node.js 24', () => {
    const parsed = DockerfileParser.parse(DOCKERFILE);
    const initial = new Map(parsed.getInitialARGs().map((arg) => [arg.getProperty()?.getName(), arg.getProperty()?.getValue()]));
    assert.match(initial.get('BASEIMAGE') ?? '', /^node:24[.-]/);
    assert.match(initial.get('RUNIMAGE') ?? '', /^node:24[.-]/);
    const froms = parsed.getFROMs().map((from) => args(from));
    assert.deepEqual(froms, ['${BASEIMAGE} AS build', '${RUNIMAGE}']);
  });

  it('ships production dependencies only, from the lockfile', () => {
    const [build, run] = stageInstructions(DOCKERFILE);
    const runs = build!.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm prune --omit=dev/);
    const copies = run!.filter((i) => i.getKeyword() === 'COPY').map(args);
    assert.ok(copies.some((copy) => copy.startsWith('--from=build /src/node_modules/')), copies.join('\n'));
    assert.ok(!copies.some((copy) => /\bsrc\/|\btest\/|\bbench\//.test(copy.replace('/src/', ''))), `sources or tests copied into the image:\n${copies.join('\n')}`);
    assert.ok(!run!.some((i) => i.getKeyword() === 'RUN'), 'the run stage needs no shell: a distroless RUNIMAGE must work');
  });

  it('runs as a numeric non-root user with node as PID 1 (exec form) so SIGTERM reaches the server', () => {
    const run = stageInstructions(DOCKERFILE)[1]!;
    const user = run.filter((i) => i.getKeyword() === 'USER').map(args).at(-1);
    assert.match(user ?? '', /^[1-9]\d*:[1-9]\d*$/, 'USER must be numeric uid:gid, not root');
    const entrypoint = run.filter((i) => i.getKeyword() === 'ENTRYPOINT').map(args).at(-1) ?? '';
    assert.deepEqual(JSON.parse(entrypoint), ['node', ...SERVE_NODE_FLAGS, '/app/dist/cli/logistis.js']);
    const cmd = JSON.parse(run.filter((i) => i.getKeyword() === 'CMD').map(args).at(-1) ?? '[]') as string[];
    assert.equal(cmd[0], 'serve');
    assert.equal(run.filter((i) => i.getKeyword() === 'STOPSIGNAL').map(args).at(-1), 'SIGTERM');
  });

  it('runs Node.js with the flags the bench and the test harness use, as the installed bin/logistis does', () => {
    assert.ok(SERVE_NODE_FLAGS.length > 0);
    const wrapper = readFileSync(new URL('../../../bin/logistis', import.meta.url), 'utf8');
    assert.match(wrapper, new RegExp(`node_flags=\\(${SERVE_NODE_FLAGS.join(' ')}\\)`));
  });

  it('sends only what the build needs: no node_modules, dist, .git or .local in the context', () => {
    const lines = DOCKERIGNORE.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    assert.equal(lines[0], '*', 'ignore everything, then allow the inputs');
    const allowed = lines.slice(1).map((line) => line.replace(/^!/, ''));
    for (const copied of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/', 'deploy/webhook/', 'deploy/apiservice/']) {
      assert.ok(allowed.includes(copied), `${copied} is copied by the Dockerfile but not allowed in .dockerignore`);
    }
  });
});
