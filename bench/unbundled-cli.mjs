#!/usr/bin/env node
// The CLI from tsc's output (dist/cli.js) without the bundle: the same lazy command tree, each
// module a file of its own. bench/startup.mjs runs it beside bin/pool-advisor.js (the bundle)
// to show which of the two starts faster on this machine.
import { main } from '../dist/cli.js';

await main(process.argv);
