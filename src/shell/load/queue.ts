/**
 * A queue workload shaped like PGMQ: enqueue, dequeue a batch with `FOR UPDATE SKIP LOCKED`
 * (setting a visibility timeout, as pgmq.read does), then delete what was read. It runs on a
 * table in a scratch schema that pool-advisor creates before the run and drops on every exit path.
 */
import type pg from 'pg';

/** The scratch schema's name: one per process, so concurrent runs never collide. */
export function scratchSchema(pid = process.pid): string {
  return `pool_advisor_scratch_${pid}`;
}

/** The SQL of one queue cycle, bound to a scratch schema. */
export interface QueueWorkload {
  schema: string;
  /** One request's work while holding the connection. */
  cycle(client: pg.PoolClient, batch: number): Promise<void>;
}

/** Create the scratch schema and queue table (idempotent). */
export async function createScratch(client: pg.Client | pg.PoolClient, schema = scratchSchema()): Promise<QueueWorkload> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(
    `CREATE UNLOGGED TABLE IF NOT EXISTS ${schema}.q (
       msg_id bigserial PRIMARY KEY,
       read_ct integer NOT NULL DEFAULT 0,
       enqueued_at timestamptz NOT NULL DEFAULT now(),
       vt timestamptz NOT NULL DEFAULT now(),
       message jsonb NOT NULL
     )`,
  );
  const enqueue = `INSERT INTO ${schema}.q (message) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1) AS g`;
  const read = `WITH c AS (
      SELECT msg_id FROM ${schema}.q WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED
    )
    UPDATE ${schema}.q AS m SET vt = clock_timestamp() + interval '30 seconds', read_ct = read_ct + 1
    FROM c WHERE m.msg_id = c.msg_id RETURNING m.msg_id`;
  const del = `DELETE FROM ${schema}.q WHERE msg_id = ANY($1::bigint[])`;
  return {
    schema,
    async cycle(c, batch) {
      await c.query(enqueue, [batch]);
      const r = await c.query<{ msg_id: string }>(read, [batch]);
      if (r.rows.length > 0) await c.query(del, [r.rows.map((x) => x.msg_id)]);
    },
  };
}

/** Drop the scratch schema (and everything in it). */
export async function dropScratch(client: pg.Client | pg.PoolClient, schema = scratchSchema()): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
