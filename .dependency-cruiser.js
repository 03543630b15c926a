// The import rules of docs/architecture.md, checked by dependency-cruiser (`make check-layers`, run by `make test`).
// The layer table is the list below, top first: a module imports only from its own layer and the layers below it.

/** Top first, as in docs/architecture.md. Each entry: a name and the regular expression of its paths. */
const LAYERS = [
  { name: 'web', path: '^web/' },
  { name: 'entry-points', path: '^src/cli/' },
  { name: 'http', path: '^src/server/' },
  { name: 'settings', path: '^src/config/' },
  { name: 'reads', path: '^src/read/' },
  { name: 'provenance', path: '^src/provenance/' },
  { name: 'capture', path: '^src/capture/' },
  { name: 'deploy', path: '^src/deploy/' },
  { name: 'rules-locks', path: '^src/(rules|locks)/' },
  { name: 'log', path: '^src/log/' },
  { name: 'store', path: '^src/store/' },
  { name: 'views-blame', path: '^src/(field-blame|format)/' },
  { name: 'contract', path: '^src/api/' },
  { name: 'admission', path: '^src/admission/' },
  { name: 'history', path: '^src/history/' },
  { name: 'core', path: '^src/(event\\.ts$|kube/)' },
];

const upwardImports = LAYERS.slice(1).map((layer, index) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.path} imports only from its own layer and the layers below it (docs/architecture.md)`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, index + 1).map((above) => above.path) },
}));

// Packages that only make sense on a terminal: colours, progress bars, command lines.
const TERMINAL_PACKAGES = 'node_modules/(picocolors|cli-progress|commander)/';
// Display widths: src/server/ never uses them itself; the kubectl Table's patch descriptions (format/patch.ts, shared
// with kubectl-blame) cut long values at 40 columns through format/text.ts, so the server reaches string-width and
// cli-truncate there.
const DISPLAY_WIDTH = 'node_modules/(string-width|cli-truncate)/';
// Fastify and its plugins.
const FASTIFY = 'node_modules/(fastify|@fastify/[^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...upwardImports,
    {
      name: 'every-module-in-a-layer',
      comment: 'a module of src/ sits in a layer of docs/architecture.md: add a new folder to the table and to LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map((layer) => layer.path) },
      to: {},
    },
    {
      name: 'format-not-blame',
      comment: 'src/format/ never imports src/field-blame/ (src/field-blame/ uses format/yaml.ts for the text it blames)',
      severity: 'error',
      from: { path: '^src/format/' },
      to: { path: '^src/field-blame/' },
    },
    {
      name: 'route-files-independent',
      comment: 'a route file never imports another route file: what two routes share lives outside routes/ '
        + '(routes/read-plugin.ts, the one way a read route is declared, is no route and imports none)',
      severity: 'error',
      from: { path: '^src/server/routes/' },
      to: { path: '^src/server/routes/', pathNot: ['^src/server/routes/read-plugin\\.ts$'] },
    },
    {
      name: 'read-plugin-imports-no-route',
      comment: 'routes/read-plugin.ts is what read routes share: it imports none of them',
      severity: 'error',
      from: { path: '^src/server/routes/read-plugin\\.ts$' },
      to: { path: '^src/server/routes/' },
    },
    {
      name: 'store-backends-independent',
      comment: 'the SQLite and PostgreSQL stores import nothing of each other: what both use sits in src/store/ itself',
      severity: 'error',
      from: { path: '^src/store/([^/]+)/' },
      to: { path: '^src/store/[^/]+/', pathNot: '^src/store/$1/' },
    },
    {
      name: 'no-fastify-below-server',
      comment: 'nothing below src/server/ imports Fastify',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/server/', '^src/cli/'] },
      to: { path: FASTIFY },
    },
    {
      name: 'server-no-terminal-code',
      comment: 'src/server/ reaches no terminal code (colours, progress bars, command lines), not even through the '
        + 'modules it imports',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: TERMINAL_PACKAGES, reachable: true },
    },
    {
      name: 'server-no-display-width',
      comment: 'src/server/ measures no terminal columns itself (the views of src/format/ do)',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: DISPLAY_WIDTH },
    },
    {
      name: 'web-imports-only-the-contract',
      comment: 'web/ imports nothing from src/ but the wire types of src/api/',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/api/' },
    },
    {
      name: 'no-test-code-outside-test',
      comment: 'src/, harness/, scripts/, bench/ and web/ import nothing from test/: what they share with the tests lives in harness/',
      severity: 'error',
      from: { path: '^(src|harness|scripts|bench|web)/' },
      to: { path: '^test/' },
    },
    {
      name: 'product-imports-no-tooling',
      comment: 'src/ (the product) imports nothing from harness/, scripts/ or bench/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(harness|scripts|bench)/' },
    },
    {
      name: 'harness-imports-no-scripts',
      comment: 'harness/ is below scripts/ and bench/, which use it',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(scripts|bench)/' },
    },
    {
      name: 'product-imports-no-dev-dependency',
      comment: 'src/ runs in production: it imports no devDependency (type-only imports of @types packages aside)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'every-package-declared',
      comment: 'every imported package is declared in package.json',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'resolvable',
      comment: 'every import resolves to a file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: web/ and src/api/ depend on each other through types alone.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|web/dist|test-artifacts|coverage)/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
