// Preloaded (`node -r`) into every process bench/startup.mjs times: at exit, writes the process's
// CPU time (user + system, all threads, µs) to the file named by PA_BENCH_CPU_FILE. CPU time is
// what a command costs; wall time on a shared machine also counts the turns other processes took.
'use strict';
const { writeFileSync } = require('node:fs');

const file = process.env.PA_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    writeFileSync(file, String(u.user + u.system));
  });
}
