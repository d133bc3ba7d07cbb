/**
 * The architecture check, run by `npm test` (`npm run arch`): docs/architecture.md's "Layers",
 * lowest first. A module imports its own layer and lower ones, never a higher one; the core never
 * imports the shell; a command module is never imported by another; no cycles; every module of
 * src/ belongs to a layer (a new folder must be placed here).
 */
const LAYERS = [
  ['foundation', '^src/core/(errors|redact|dict|limits|flags|units|saved)\\.ts$|^src/core/(toml|config|advisor)/|^src/core/fleet/families\\.ts$'],
  ['measurement', '^src/core/(run|load)/'],
  ['evidence', '^src/core/evidence/|^src/core/budget/|^src/core/observe/(?!render\\.ts$)|^src/core/fleet/(?!(render|families)\\.ts$)'],
  ['analysis', '^src/core/(analysis|model|metrics)/'],
  ['judgement', '^src/core/(rules|thresholds|generate)/|^src/core/check/static\\.ts$|^src/core/alerts/(build|families|figures)\\.ts$'],
  ['render', '^src/core/render/|^src/core/check/(report\\.ts$|formats/)|^src/core/alerts/(render|yaml)\\.ts$|^src/core/(observe|fleet)/render\\.ts$'],
  ['shell', '^src/shell/(?!commands/)'],
  ['commands', '^src/shell/commands/'],
  ['entry', '^src/(cli|index)\\.ts$'],
];

const any = (paths) => paths.map((p) => `(${p})`).join('|');

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
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
