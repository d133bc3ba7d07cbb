#!/usr/bin/env node
// The bundled CLI (scripts/bundle.mjs, run by `npm run build`): the command tree up front, each
// command's code in a chunk loaded when it runs. bench/run.mjs measures it against dist/cli.js.
import { main } from '../dist/bundle/cli.mjs';

await main(process.argv);
