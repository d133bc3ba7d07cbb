/**
 * The HTML report of a run (`--report report.html` on `analyze` and `recommend --from`): one
 * self-contained file, styles and the one small script inlined, nothing fetched (a
 * Content-Security-Policy forbids it). The verdict and the recommendations come first; then per
 * environment and pool the measured figures, the wait spectrum, the timeline and the model's
 * what-if curve; then the TOML overrides with a copy button. Pure: returns a string, and the same
 * run gives the same bytes (no clock is read).
 */
import { noSamples, saw, type EnvironmentAnalysis, type PoolAnalysis, type RunAnalysis } from '../analysis/analyze.js';
import type { EvidencePart } from '../evidence/parts.js';
import { fmtCount, formatMs, formatNum, formatS, formatShare, formatUs } from '../units.js';
import type { EnvironmentEvidence, EvidenceFile, ObservedTimeline, PoolEvidence } from '../evidence/types.js';
import type { Advice, EnvironmentAdvice, Finding, Recommendation } from '../rules/types.js';
import { esc } from './charts/axes.js';
import { spectrumChart } from './charts/spectrum.js';
import { timelineChart } from './charts/timeline.js';
import { whatIfChart } from './charts/whatIf.js';
import { busyDistributionChart, churnChart, waitChanceChart } from './charts/occupancy.js';
import { countTop, loadChart, observedPoolChart, proxyWaitingChart } from './charts/observed.js';
import { unseenLines } from './unseen.js';
import { dateOf, renderOverrides } from './overrides.js';
import { formatEvidence } from './recommendations.js';

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#d9dee7;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828;--change:#0550ae;
--c-inuse:#4c78a8;--c-idle:#b8cde6;--c-wait:#e45756;--c-p99:#7b3fb2;--c-target:#c62828;--c-model:#0b7a75;--c-before:#9aa3b2;--c-after:#0550ae;--c-expiry:#f58518}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b2;--bg:#14171c;--panel:#1d2129;--line:#333a46;--c-idle:#34506f;--c-before:#6b7385}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 20px}
header{padding-top:18px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:16px;margin:20px 0 8px}
.meta,.muted{color:var(--muted)}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:6px 0 10px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.figures th,table.figures td{text-align:right;white-space:nowrap}table.figures th{white-space:normal}table.figures th:first-child,table.figures td:first-child{text-align:left}
.scroll{overflow-x:auto}
th{color:var(--muted);font-weight:600}
.badge{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.b-ok{background:var(--ok)}.b-change{background:var(--change)}.b-warning{background:var(--warn)}.b-error{background:var(--bad)}
.headline{font-size:16px;margin:8px 0}
.banner{padding:8px 12px;border-radius:6px;background:#fff4d6;color:#5c4300;margin:10px 0}
ul.findings{padding-left:18px}ul.findings li{margin:3px 0}
.sev-error{color:var(--bad)}.sev-warning{color:var(--warn)}.sev-ok{color:var(--ok)}
.pool{background:var(--panel);border-radius:8px;padding:4px 14px 12px;margin:14px 0}
.replicas{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:0 14px}.replicas .charts{grid-template-columns:1fr}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
.charts figure{margin:0;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px}
.charts figure.wide{grid-column:1/-1}
figcaption{font-size:12.5px;color:var(--muted);padding:2px 4px}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}
svg text{fill:var(--muted);font-size:11px}svg .axis-title{font-size:11.5px;fill:var(--fg)}svg .note{fill:var(--fg);font-size:11px}
svg .line{fill:none;stroke-width:2}
svg .s-main{stroke:var(--c-after)}svg .s-before{stroke:var(--c-before);stroke-dasharray:5 3}svg .s-after{stroke:var(--c-after)}
svg .s-waiting{stroke:var(--c-wait);stroke-width:1.5}svg .s-p99{stroke:var(--c-p99);stroke-width:1.5}svg .s-model{stroke:var(--c-model)}
svg .a-inuse{fill:var(--c-inuse);opacity:.85}svg .a-idle{fill:var(--c-idle)}
svg .target{stroke:var(--c-target);stroke-dasharray:6 4;stroke-width:1.2}
svg .limit{stroke:var(--fg);stroke-dasharray:2 3;stroke-width:1}
svg .current{stroke:var(--muted);stroke-dasharray:3 3}svg .recommended{stroke:var(--change);stroke-width:2}svg .recommended-label{fill:var(--change);font-weight:600}
svg .mark{fill:var(--bg);stroke-width:2}svg circle.s-main,svg circle.s-after{stroke:var(--c-after)}svg circle.s-before{stroke:var(--c-before)}
svg .dot{fill:var(--c-model)}svg .measured{fill:var(--c-wait);stroke:var(--bg)}
svg .unstable{fill:var(--c-wait);opacity:.1}
svg .strip{fill:var(--panel)}svg .expiry{stroke:var(--c-expiry);stroke-width:1.5}svg .expiry-line{stroke:var(--c-expiry);stroke-width:1;opacity:.35}
svg .tick-mark{stroke-width:1.5}svg .tick-mark.a-inuse{stroke:var(--c-inuse)}svg .tick-mark.a-idle{stroke:var(--muted)}svg .tick-mark.expiry{stroke:var(--c-expiry)}
svg .hit{fill:transparent}svg .hit:hover{fill:var(--fg);opacity:.06}
svg .swatch{stroke:none}svg .swatch.s-main,svg .swatch.s-after{fill:var(--c-after)}svg .swatch.s-before{fill:var(--c-before)}svg .swatch.s-waiting{fill:var(--c-wait)}
svg .swatch.s-p99{fill:var(--c-p99)}svg .swatch.s-model{fill:var(--c-model)}svg .swatch.target{fill:var(--c-target)}svg .swatch.limit{fill:var(--fg)}
svg .swatch.expiry{fill:var(--c-expiry)}svg .swatch.current{fill:var(--muted)}svg .swatch.recommended{fill:var(--change)}svg .swatch.measured{fill:var(--c-wait)}svg .swatch.unstable{fill:var(--c-wait);opacity:.25}
svg .legend text{fill:var(--fg)}
svg .bar{stroke:none}svg .bar.a-inuse{fill:var(--c-inuse)}svg .bar.expiry{fill:var(--c-expiry)}svg .bar.a-idle{fill:var(--c-idle)}svg .bar.s-before{fill:var(--c-before)}
svg .l-cpu{fill:#59a14f}svg .l-lock{fill:#e15759}svg .l-lwlock{fill:#b07aa1}svg .l-bufferpin{fill:#ff9da7}svg .l-io{fill:#4e79a7}svg .l-ipc{fill:#edc948}svg .l-client{fill:#9c755f}svg .l-timeout{fill:#bab0ac}svg .l-extension{fill:#76b7b2}
.empty{color:var(--muted);font-style:italic}
.toml{position:relative}.toml pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;margin:6px 0}
button.copy{position:absolute;top:6px;right:6px;font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
details summary{cursor:pointer;color:var(--muted)}
footer{padding:24px 20px 40px;color:var(--muted);font-size:12.5px}
`;

/** Copy buttons: the clipboard API where the page may use it, else select the text and copy. */
const SCRIPT = `
(function () {
  var buttons = document.querySelectorAll('button.copy');
  for (var i = 0; i < buttons.length; i++) buttons[i].addEventListener('click', onCopy);
  function onCopy(ev) {
    var b = ev.currentTarget;
    var pre = document.getElementById(b.getAttribute('data-copy'));
    if (!pre) return;
    var done = function (ok) {
      b.textContent = ok ? 'Copied' : 'Selected: press Ctrl+C';
      setTimeout(function () { b.textContent = 'Copy'; }, 2000);
    };
    var select = function () {
      var range = document.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      done(ok);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(pre.textContent || '').then(function () { done(true); }, select);
    else select();
  }
})();
`;

/** Wrap a body in the report's page: inlined style and script, and a policy that forbids any fetch. */
export function htmlPage(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    body,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** A block of text (TOML) with a copy button. */
export function copyBlock(id: string, text: string): string {
  return `<div class="toml"><button class="copy" type="button" data-copy="${esc(id)}">Copy</button><pre id="${esc(id)}">${esc(text)}</pre></div>`;
}

/** A stable element id from free text. */
export function idOf(...parts: string[]): string {
  return parts.map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, '-')).join('--');
}

/** The state of one pool, for the verdict. */
export type PoolVerdict = 'ok' | 'change' | 'warning' | 'error';

/** The verdict of a pool: a recommended change, else the worst finding, else ok. */
export function poolVerdict(pool: string, adv: EnvironmentAdvice): { verdict: PoolVerdict; recs: Recommendation[]; issues: Finding[] } {
  const recs = adv.recommendations.filter((r) => r.pool === pool);
  const issues = adv.findings.filter((f) => f.pool === pool && f.severity !== 'info');
  const verdict: PoolVerdict = recs.length > 0 ? 'change' : issues.some((f) => f.severity === 'error') ? 'error' : issues.length > 0 ? 'warning' : 'ok';
  return { verdict, recs, issues };
}

function badge(v: PoolVerdict): string {
  return `<span class="badge b-${v}">${v}</span>`;
}

function headerOf(run: EvidenceFile): string {
  const server = run.server ? `, PostgreSQL ${run.server.version} (max_connections ${run.server.maxConnections})` : '';
  return `<header><h1>pool-advisor report</h1><p class="meta">Target ${esc(run.target)}${esc(server)} · ${run.kind === 'observation' ? 'observed' : 'measured'} ${esc(run.createdAt)} · config ${esc(run.configDir ?? 'none')}${run.seed !== null ? ` · seed ${run.seed}` : ''}</p></header>`;
}

function verdictSection(analysis: RunAnalysis, advice: Advice, run: EvidenceFile): string {
  const rows: string[] = [];
  let changes = 0;
  let attention = 0;
  let pools = 0;
  let blind = 0;
  for (const env of analysis.environments) {
    const adv = advice.environments.find((a) => a.env === env.env);
    if (!adv) continue;
    for (const f of adv.findings.filter((x) => x.pool === null && x.severity !== 'info')) {
      attention++;
      rows.push(`<tr><td>${esc(env.env)}</td><td>environment</td><td>${badge(f.severity === 'error' ? 'error' : 'warning')}</td><td>${esc(f.message)}</td></tr>`);
    }
    for (const p of env.pools) {
      pools++;
      if (!saw(p, 'wait')) blind++;
      const { verdict, recs, issues } = poolVerdict(p.pool, adv);
      changes += recs.length;
      if (verdict === 'warning' || verdict === 'error') attention++;
      const wait = saw(p, 'wait') ? `P99 wait ${formatUs(p.wait.p99Us)} (target ${formatMs(p.targetP99WaitMs)}), ${formatShare(p.waitedShare)} waited, ${formatShare(p.utilisation)} utilisation` : `waits not seen by ${p.coverage!.source.detail}; ${saw(p, 'occupancy') ? `${formatShare(p.utilisation)} utilisation` : 'utilisation not seen'}`;
      const what =
        noSamples(p)
          ? 'no acquires measured'
          : verdict === 'change'
            ? `${recs.map((r) => `${r.key} ${r.from ?? 'unset'} → ${r.to}`).join(', ')}; ${wait}`
            : verdict === 'ok'
              ? `no change: ${wait}`
              : `${issues[0]!.message}`;
      rows.push(`<tr><td>${esc(env.env)}</td><td>${esc(p.pool)}</td><td>${badge(verdict)}</td><td>${esc(what)}</td></tr>`);
    }
  }
  const headline =
    changes > 0
      ? `${changes} setting${changes === 1 ? '' : 's'} to change${attention > 0 ? `, and ${attention} thing${attention === 1 ? '' : 's'} to look at` : ''}.`
      : attention > 0
        ? `No setting to change, but ${attention} thing${attention === 1 ? '' : 's'} to look at.`
        : pools === 0
          ? 'No Tasker pool in this evidence, so no key to change (what was seen is listed below).'
          : blind > 0
            ? `No change: no rule found a key to change on what was seen (${pools} pool${pools === 1 ? '' : 's'}; the waits of ${blind} not seen, so whether ${blind === 1 ? 'it meets its' : 'they meet their'} target is not known).`
            : `No change: every pool (${pools}) meets its target.`;
  const partial = run.partial ? `<p class="banner">This run is partial${run.error ? `: ${esc(run.error)}` : ' (interrupted)'}: the figures cover what was measured before it stopped.</p>` : '';
  return `<section id="verdict"><h2>Verdict</h2>${partial}<p class="headline">${esc(headline)}</p><table><thead><tr><th>environment</th><th>pool</th><th>verdict</th><th>why</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function recommendationsSection(advice: Advice): string {
  const recs = advice.environments.flatMap((e) => e.recommendations);
  const findings = advice.environments.flatMap((e) => e.findings).filter((f) => f.kind !== 'healthy');
  const out: string[] = ['<section id="recommendations"><h2>Recommendations</h2>'];
  if (recs.length === 0) out.push('<p>None: no key needs to change.</p>');
  else {
    out.push('<div class="scroll"><table><thead><tr><th>environment</th><th>pool</th><th>key</th><th>from</th><th>to</th><th>rule</th><th>confidence</th><th>why</th></tr></thead><tbody>');
    for (const r of recs) {
      const where = r.file ? `${r.file}${r.line !== null ? `:${r.line}` : ''}` : 'default';
      const limited = r.limitedBy === 'budget' ? ' (capped by the connection budget)' : r.limitedBy === 'range' ? " (clamped to Tasker's range)" : '';
      const evidence = r.evidence.map((e) => `<li>${esc(e.label)}: ${esc(formatEvidence(e))}</li>`).join('');
      out.push(
        `<tr><td>${esc(r.env)}</td><td>${esc(r.pool)}</td><td><code>[${esc(r.table)}] ${esc(r.key)}</code><br><span class="muted">${esc(where)}</span></td><td>${esc(String(r.from ?? 'unset'))}</td><td><strong>${r.to}</strong></td><td>${esc(r.rule)}</td><td>${esc(r.confidence)}</td><td>${esc(r.rationale)}${esc(limited)}<details><summary>evidence</summary><ul>${evidence}</ul></details></td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
  }
  if (findings.length > 0) {
    out.push('<h3>Findings</h3><ul class="findings">');
    // The rules that could not judge a pool on this evidence: one item per pool, each rule named.
    const folded = new Map<string, Finding[]>();
    for (const f of findings) {
      if (f.cannotJudge) {
        const key = `${f.env}\u0000${f.pool ?? ''}`;
        if (!folded.has(key)) folded.set(key, []);
        folded.get(key)!.push(f);
        continue;
      }
      const where = f.file ? ` (${f.file}${f.line !== undefined ? `:${f.line}` : ''})` : '';
      out.push(`<li><span class="sev-${f.severity}">${esc(f.severity)}</span> ${esc(f.env)} ${esc(f.pool ?? 'environment')} <code>${esc(f.kind)}</code>: ${esc(f.message)}${esc(where)}</li>`);
    }
    for (const fs of folded.values()) {
      out.push(`<li><span class="sev-info">info</span> ${esc(fs[0]!.env)} ${esc(fs[0]!.pool ?? 'environment')} <code>cannot judge</code>: ${esc(fs.map((f) => f.cannotJudge!.judges).join('; '))} (${fs.map((f) => `<code>${esc(f.kind)}</code>`).join(', ')}): the evidence lacks what they need</li>`);
    }
    out.push('</ul>');
  }
  out.push('</section>');
  return out.join('');
}

function figuresTable(env: EnvironmentAnalysis): string {
  const head = ['pool', 'acquires', 'rate', 'P50', 'P95', 'P99', 'P99.9', 'max', 'waited', 'timeouts', 'in use mean / P95 / max', 'util', 'opened/min', 'expired/min', 'idle-closed/min'];
  const rows = env.pools.map((p) => {
    // A figure whose part the source could not see reads n/a, never 0.
    const u = (part: EvidencePart, text: () => string): string => (saw(p, part) ? text() : 'n/a');
    return [
      p.coverage?.replica ? `${p.pool} (${p.coverage.replica})` : p.pool,
      u('arrival', () => fmtCount(p.acquires)),
      u('arrival', () => `${formatNum(p.arrivalRate, 1)}/s`),
      u('wait', () => formatUs(p.wait.p50Us)),
      u('wait', () => formatUs(p.wait.p95Us)),
      u('wait', () => formatUs(p.wait.p99Us)),
      u('wait', () => formatUs(p.wait.p999Us)),
      u('wait', () => formatUs(p.wait.maxUs)),
      u('wait', () => formatShare(p.waitedShare)),
      u('failures', () => fmtCount(p.timeouts)),
      u('occupancy', () => `${formatNum(p.inUse.mean, 1)} / ${p.inUse.p95} / ${p.inUse.max} of ${p.settings.max_connections}`),
      u('occupancy', () => formatShare(p.utilisation)),
      u('churn', () => formatNum(p.display.table.createdPerMin ?? 0, 1)),
      u('churn', () => formatNum(p.expiries.perMinute, 1)),
      u('churn', () => formatNum(p.idleCloses.perMinute, 1)),
    ];
  });
  // A column no pool's source could see is left out; the report says once what was not seen.
  const keep = head.map((_, j) => j === 0 || rows.some((r) => r[j] !== 'n/a'));
  const cols = <T,>(xs: T[]): T[] => xs.filter((_, j) => keep[j]);
  const unseen = unseenLines(env).map((l) => `<p class="muted">${esc(l)}</p>`).join('');
  return `<div class="scroll"><table class="figures"><thead><tr>${cols(head).map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${cols(r).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>${unseen}`;
}

function modelText(p: PoolAnalysis): string {
  const m = p.model;
  const o = p.occupancyModel;
  if ((!m.input || !m.current) && o) {
    const need = o.estimatedNeed ?? o.needNoWait;
    return `From occupancy alone (no acquire rate or hold was seen): ${formatNum(o.offeredLoad, 2)} connections busy on average${o.offeredLoadIsLowerBound ? ' (a lower bound)' : ''}, all ${o.usable} usable busy ${formatShare(o.allBusyShare)} of the window; at ${p.settings.max_connections} an acquire would wait ${formatShare(o.pWaitAtCurrent)} of the time by Erlang C; ${need === null ? 'no size up to 1000 keeps that under 1%' : `${need} keeps it under 1%`}.`;
  }
  if (!m.input || !m.current) return 'No model: the evidence has neither the acquire rate and holds nor the busy count it would be fitted to.';
  const method = m.current.method === 'erlang-c' ? 'Erlang C' : m.current.method === 'allen-cunneen' ? 'Erlang C with the Allen-Cunneen correction (approximate)' : m.current.method === 'burst-mixture' ? 'an Erlang C mixture of the burst phases (approximate)' : 'the finite-source model M/M/c//N';
  const a = m.input.arrivals;
  const load = a.kind === 'open' ? `${formatNum(a.lambda, 1)} acquires/s` : `${a.callers} callers thinking ${formatS(a.thinkS)}`;
  const need = m.needForTarget === null ? `no size up to 1000 meets ${formatMs(p.targetP99WaitMs)}` : `the smallest size meeting ${formatMs(p.targetP99WaitMs)} is ${m.needForTarget}`;
  return `${method}: ${load}, mean hold ${formatS(m.input.meanHoldS)} (cv ${formatNum(p.hold.cv, 2)}), offered load ${formatNum(p.offeredLoad, 2)} connections; predicted P99 wait at ${m.current.c}: ${formatS(m.current.p99WaitS)}, measured ${formatUs(p.wait.p99Us)}; ${need}.`;
}

function poolSection(envName: string, p: PoolAnalysis, run: PoolEvidence | undefined, adv: EnvironmentAdvice | undefined, overTime = false): string {
  const replica = p.coverage?.replica ?? null;
  const out: string[] = [`<article class="pool" id="${esc(idOf(envName, p.pool, ...(replica ? [replica] : [])))}"><h3>${esc(p.pool)}${replica ? ` <span class="muted">(${esc(replica)})</span>` : ''} <span class="muted">in ${esc(envName)}</span></h3>`];
  if (p.generator?.behind) out.push(`<p class="banner">The load generator fell behind its schedule${p.generator.behindReason ? ` (${esc(p.generator.behindReason)})` : ''}: these figures understate the load, and the pool is not blamed for them.</p>`);
  const target = p.targetP99WaitMs * 1000;
  const charts: string[] = [];
  if (p.display.spectrum) {
    charts.push(
      `<figure>${spectrumChart([{ label: `${p.pool} acquire wait`, cls: 's-main', spectrum: p.display.spectrum }], { targetUs: target, title: `${envName} ${p.pool}: acquire wait by percentile` })}<figcaption>Acquire wait at every percentile (log scale): each step right adds a nine; the tail is where pools differ.</figcaption></figure>`,
    );
  }
  if (p.model.curve) {
    const rec = adv?.recommendations.find((r) => r.pool === p.pool && r.setting === 'max_connections');
    const chart = whatIfChart(p.model.curve, { current: p.settings.max_connections, measuredP99Us: p.wait.p99Us, targetUs: target, ...(rec ? { recommended: rec.to } : {}), need: p.model.needForTarget }, { title: `${envName} ${p.pool}: predicted P99 wait by max_connections` });
    charts.push(`<figure>${chart}<figcaption>The queue model's P99 wait for each pool size, fitted to this run; the diamond is what was measured.</figcaption></figure>`);
  }
  const occ = p.occupancyModel;
  if (occ) {
    const rec = adv?.recommendations.find((r) => r.pool === p.pool && r.setting === 'max_connections');
    const marks = { current: p.settings.max_connections, ...(rec ? { advised: rec.to } : {}) };
    const who = p.coverage?.replica ? ` (${p.coverage.replica})` : '';
    charts.push(
      `<figure>${busyDistributionChart(occ, marks, { title: `${envName} ${p.pool}${who}: connections busy at once` })}<figcaption>How much of the window the pool had each number of connections busy${occ.offeredLoadIsLowerBound ? ' (as the server saw them: a connection held between statements looks idle, so these are lower bounds)' : ''}, with its size now${rec ? ' and the advised size' : ''}.</figcaption></figure>`,
      `<figure>${waitChanceChart(occ, marks, { title: `${envName} ${p.pool}${who}: chance an acquire waits by max_connections` })}<figcaption>Erlang C at the load the busy count implies (${esc(formatNum(occ.estimatedLoad ?? occ.offeredLoad, 2))} connections${occ.estimatedLoad !== null ? ', estimated: the pool was full too often to read it directly' : ''}): the sizing keeps this under 1%. No waits or holds were seen, so no wait times are drawn.</figcaption></figure>`,
    );
  }
  const churn = !overTime && !run?.timeline && run?.churn ? churnChart(run.churn, run.source.durationMs, { title: `${envName} ${p.pool}${p.coverage?.replica ? ` (${p.coverage.replica})` : ''}: connections opened and closed over the window` }) : null;
  if (churn) charts.push(`<figure class="wide">${churn}<figcaption>Each tick is a connection opened, or closed by its lifetime or by its idle timeout, as ${esc(p.coverage?.source.detail ?? 'the source')} saw it.</figcaption></figure>`);
  if (run?.timeline) {
    charts.push(
      `<figure class="wide">${timelineChart(run, { title: `${envName} ${p.pool}: connections and P99 wait over time`, targetUs: target })}<figcaption>Connections in use and idle (mean per ${esc(formatS(run.timeline.intervalMs / 1000))} interval), waiters, the P99 wait of each interval, and lifetime expiries. Hover for an interval's figures.</figcaption></figure>`,
    );
  }
  out.push(`<div class="charts">${charts.join('')}</div>`);
  out.push(`<p><strong>Model.</strong> ${esc(modelText(p))}</p>`);
  if (p.model.notes.length > 0) out.push(`<ul class="findings">${p.model.notes.map((x) => `<li class="muted">${esc(x)}</li>`).join('')}</ul>`);
  out.push('</article>');
  return out.join('');
}

/**
 * An observation's pools over time (its saved timeline), a figure per replica, the replicas of a
 * pool side by side on one scale; PgBouncer's clients waiting where its console was read. When the
 * observation has no timeline, says so once (`absent`).
 */
function overTimeSection(envName: string, envRun: EnvironmentEvidence | undefined, t: ObservedTimeline | undefined, absent: string | null): string {
  if (!t) return absent ? `<p class="muted" data-timeline-absent>${esc(absent)}</p>` : '';
  const series = t.pools.filter((x) => x.env === envName);
  const waiting = envRun?.proxyPools?.length ? t.proxyWaiting ?? [] : [];
  if (series.length === 0 && waiting.length === 0) return '';
  const out: string[] = [`<h3>Over time</h3><p class="muted">${esc(`What the server saw per ${formatS(t.bucketMs / 1000)} bucket: open connections (the most at a sample), busy ones (the mean and the most), and the connections opened and closed by reason.`)}</p>`];
  const byPool = new Map<string, typeof series>();
  for (const x of series) byPool.set(x.pool, [...(byPool.get(x.pool) ?? []), x]);
  for (const [pool, reps] of byPool) {
    const ev = envRun?.pools.find((p) => p.pool === pool);
    const size = ev ? (ev.liveSize?.maxConnections ?? ev.settings.max_connections) : undefined;
    const yTop = countTop(...reps.flatMap((r) => [r.openMax, r.busyMax]), size !== undefined ? [size] : []);
    const side = reps.length > 1;
    const figs = reps.map((r) => {
      const title = `${envName} ${pool}${r.replica ? ` (${r.replica})` : ''}: connections open and busy over time, opened and closed below`;
      const who = r.replica ? `replica ${r.replica}` : 'replicas merged';
      return `<figure${side ? '' : ' class="wide"'}>${observedPoolChart(r, t, { title, yTop, narrow: side, ...(size !== undefined ? { size } : {}) })}<figcaption>${esc(`${pool}, ${who}: opened above the line, closed below by reason.`)}</figcaption></figure>`;
    });
    out.push(`<div class="charts">${figs.join('')}</div>`);
    if (side) out.push(`<p class="muted">${esc(`${pool}: ${reps.length} replicas side by side, on one scale.`)}</p>`);
  }
  if (waiting.length > 0) {
    out.push(`<div class="charts"><figure class="wide">${proxyWaitingChart(waiting, t, { title: `${envName}: PgBouncer's clients waiting for a server connection over time` })}<figcaption>From PgBouncer's SHOW POOLS, read about once a second: the clients waiting (cl_waiting), the mean and the most per bucket.</figcaption></figure></div>`);
  }
  return out.join('');
}

/** The server's load by wait class over time against its core count (an observation's timeline). */
function serverLoadSection(t: ObservedTimeline | undefined): string {
  const load = t?.load;
  if (!load || load.byClass.length === 0) return '';
  const cores = load.cores !== null ? `against its ${load.cores} core${load.cores === 1 ? '' : 's'} (${load.coresSource})` : `(its core count unknown: ${load.coresSource}; give --server-cores)`;
  return `<section id="server-load"><h2>The server's load</h2><div class="charts"><figure class="wide">${loadChart(load, t!, { title: `the server's load by wait class over time` })}<figcaption>${esc(`Average active sessions per ${formatS(t!.bucketMs / 1000)} bucket by what they wait on (CPU: active with no wait event), ${cores}. CPU sessions near the core count, or one class of Lock, IO, LWLock or BufferPin carrying most of the time, make the server the limit; a sample every interval misses short waits.`)}</figcaption></figure></div></section>`;
}

/** Why an observation has no timeline, or null when it has one or is a measured run. */
function timelineAbsent(run: EvidenceFile): string | null {
  if (run.kind !== 'observation' || run.observedTimeline) return null;
  const server = run.environments.some((e) => e.pools.some((p) => p.source.kind === 'server-sampling') || e.unmapped.some((u) => u.source.kind === 'server-sampling'));
  return server
    ? 'Over time: not drawn, this observation was saved by a pool-advisor that did not keep a timeline (observe again to have one).'
    : 'Over time: not drawn, the pool metrics were read as figures over the window (no timeline is kept from Prometheus).';
}

function environmentSection(env: EnvironmentAnalysis, envRun: EnvironmentEvidence | undefined, adv: EnvironmentAdvice | undefined, date: string, timeline?: ObservedTimeline, absent: string | null = null): string {
  const out: string[] = [`<section class="env" id="${esc(idOf('env', env.env))}"><h2>Environment ${esc(env.env)}</h2>`];
  const shared = env.pgmqNote ? `${env.pgmqNote}.` : '';
  const window = env.measured ? `Measured ${formatS(env.durationS)} after ${formatS(env.warmupS)} of warm-up` : `Observed ${formatS(env.durationS)}`;
  out.push(`<p class="muted">${esc(window)}${env.interrupted ? ' (interrupted: partial)' : ''}. ${esc(shared)}</p>`);
  if (env.workloads.length > 0) out.push(`<ul>${env.workloads.map((w) => `<li><code>${esc(w)}</code></li>`).join('')}</ul>`);
  if (env.pools.length > 0) out.push(figuresTable(env));
  const series = timeline?.pools.filter((x) => x.env === env.env) ?? [];
  // The replicas of one pool side by side (a fleet): consecutive sections of the same pool share a row.
  const sections = env.pools.map((p, i) => ({ pool: p.pool, html: poolSection(env.env, p, envRun?.pools[i], adv, series.some((x) => x.pool === p.pool)) }));
  for (let i = 0; i < sections.length; ) {
    let j = i + 1;
    while (j < sections.length && sections[j]!.pool === sections[i]!.pool) j++;
    out.push(j - i > 1 ? `<div class="replicas">${sections.slice(i, j).map((x) => x.html).join('')}</div>` : sections[i]!.html);
    i = j;
  }
  out.push(overTimeSection(env.env, envRun, timeline, absent));
  if (adv) out.push(`<h3>TOML overrides for ${esc(env.env)}</h3>`, copyBlock(idOf('toml', env.env), renderOverrides(adv, { date })));
  out.push('</section>');
  return out.join('');
}

/** The HTML report of a run with its analysis and advice. */
export function renderHtmlReport(run: EvidenceFile, analysis: RunAnalysis, advice: Advice): string {
  const date = dateOf(run.createdAt);
  const body = [
    headerOf(run),
    '<main>',
    verdictSection(analysis, advice, run),
    recommendationsSection(advice),
    serverLoadSection(run.observedTimeline),
    ...analysis.environments.map((env, i) =>
      environmentSection(
        env,
        run.environments.find((e) => e.env === env.env),
        advice.environments.find((a) => a.env === env.env),
        date,
        run.observedTimeline,
        i === 0 ? timelineAbsent(run) : null,
      ),
    ),
    '</main>',
    `<footer>pool-advisor ${esc(run.tool.version)} · ${run.kind === 'observation' ? 'observation' : 'run'} of ${esc(run.createdAt)} · acquire wait is the time spent inside <code>pool.connect()</code>, not query latency.</footer>`,
  ].join('\n');
  return htmlPage(`pool-advisor report: ${run.environments.map((e) => e.env).join(', ')} (${date})`, body);
}
