/**
 * The architecture check, run by `npm test` (`npm run arch`): docs/architecture.md's "Layers" and
 * "Folders". A module imports its own layer and lower ones, never a higher one; a folder of
 * src/core imports itself and the folders listed before it, never a later one, so no import cycle
 * runs between folders; the core never imports the shell; a command module is never imported by
 * another; no cycles between modules; every module of src/ belongs to a layer (a new folder must
 * be placed here).
 */

/**
 * The core's folders (`x/`) and loose files (`x.ts`), lowest first, each in its layer. The order
 * is the folder rule: each imports only those before it. A slice (see SLICES) sits where its lowest
 * part does.
 */
const CORE = [
  ['foundation', ['dict.ts', 'errors.ts', 'limits.ts', 'redact.ts', 'units.ts', 'versions.ts', 'saved.ts', 'toml/', 'config/', 'metrics-catalogue/', 'advisor/', 'flags.ts']],
  ['measurement', ['run/', 'load/']],
  ['evidence', ['evidence/', 'observe/', 'fleet/', 'budget/']],
  ['analysis', ['model/', 'analysis/', 'metrics/']],
  ['judgement', ['thresholds/', 'rules/', 'check/', 'generate/', 'alerts/']],
  ['render', ['render/']],
];

/**
 * Vertical slices: folders whose files sit in more than one layer, in their inner order (a part
 * imports its own and earlier parts only, by the layer rule). Each is one feature whose output
 * format belongs with it.
 * - check/: the static checks (judgement: budget and lint) before the CI report and its formats
 *   (render: they read the thresholds' results and the static checks', never the analysis).
 * - alerts/: the families, their figures in PromQL and the rules built from thresholds (judgement)
 *   before the YAML of the rule file (render).
 */
const SLICES = {
  'check/': [['judgement', ['static.ts']], ['render', ['report.ts', 'formats/']]],
  'alerts/': [['judgement', ['families.ts', 'figures.ts', 'build.ts']], ['render', ['render.ts']]],
};

/** The path pattern of a core folder, loose file or a slice's part (`entries` under `folder`). */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const corePath = (entry, under = '') => `^src/core/${escape(under + entry)}${entry.endsWith('/') ? '' : '$'}`;
const any = (paths) => paths.map((p) => `(${p})`).join('|');

/** The modules of each layer of the core: its folders and loose files, and its parts of slices. */
const coreLayer = (layer) =>
  [
    ...CORE.find(([name]) => name === layer)[1].filter((e) => !SLICES[e]).map((e) => corePath(e)),
    ...Object.entries(SLICES).flatMap(([folder, parts]) => parts.filter(([name]) => name === layer).flatMap(([, entries]) => entries.map((e) => corePath(e, folder)))),
  ];

/** Every layer, lowest first. */
const LAYERS = [
  ...CORE.map(([name]) => [name, any(coreLayer(name))]),
  ['shell', '^src/shell/(?!commands/)'],
  ['commands', '^src/shell/commands/'],
  ['entry', '^src/(cli|index)\\.ts$'],
];

/** The core's folders and loose files in the folder order. */
const FOLDERS = CORE.flatMap(([, entries]) => entries);

module.exports = {
  forbidden: [
    { name: 'core-not-shell', comment: 'the core does no I/O: it imports nothing from the shell', severity: 'error', from: { path: '^src/core/' }, to: { path: '^src/shell/' } },
    { name: 'commands-are-leaves', comment: 'a command module is never imported by another command (only the command tree loads them, lazily): shared work belongs in a shell service', severity: 'error', from: { path: '^src/shell/commands/', pathNot: '^src/shell/commands/tree\\.ts$' }, to: { path: '^src/shell/commands/(?!tree\\.ts$)' } },
    { name: 'no-circular', comment: 'no import cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'in-a-layer', comment: 'every module of src/ belongs to a layer of .dependency-cruiser.cjs', severity: 'error', from: { path: '^src/', pathNot: any(LAYERS.map(([, p]) => p)) }, to: {} },
    ...LAYERS.slice(0, -1).map(([name, path], i) => ({
      name: `layer-${name}`,
      comment: `${name} imports a higher layer (${LAYERS.slice(i + 1).map(([n]) => n).join(', ')}): data flows one way (docs/architecture.md, "Layers")`,
      severity: 'error',
      from: { path },
      to: { path: any(LAYERS.slice(i + 1).map(([, p]) => p)) },
    })),
    ...FOLDERS.slice(0, -1).map((entry, i) => ({
      name: `folder-${entry.replace(/\/$/, '').replace(/\.ts$/, '-ts')}`,
      comment: `src/core/${entry} imports a folder listed after it (${FOLDERS.slice(i + 1).join(' ')}): a folder imports only the ones before it, so none forms a cycle with another (docs/architecture.md, "Folders")`,
      severity: 'error',
      from: { path: corePath(entry) },
      to: { path: any(FOLDERS.slice(i + 1).map((e) => corePath(e))) },
    })),
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
