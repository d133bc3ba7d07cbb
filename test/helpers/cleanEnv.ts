// Tests never inherit a database from the shell: no DATABASE_URL, PGMQ_DATABASE_URL or PG* variables.
for (const k of Object.keys(process.env)) {
  if (k === 'DATABASE_URL' || k === 'PGMQ_DATABASE_URL' || k.startsWith('PG')) delete process.env[k];
}
