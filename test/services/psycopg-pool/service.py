"""A Python service nobody instrumented for pool-advisor: a psycopg_pool.ConnectionPool under a known
load, writing its own ground truth on exit. The observe tests run it with /usr/bin/python3 (Debian's
python3-psycopg-pool); see test/helpers/otherPools.ts.

Usage: python3 service.py '<json options>': url (application_name in it), name, rate (Poisson
arrivals/s; burstRate for the first burstMs of every periodMs), holdMs (exponential, spent in a
server-side pg_sleep), minSize, maxSize, maxIdleS, maxLifetimeS, autocommit (optional), seconds,
seed, truth; or
concurrency (a closed loop of that many threads, each checking out again as soon as it returned,
instead of arrivals at rate). Prints
"ready" once the pool has opened min_size connections and run one statement; exits after `seconds`.

The truth (the shape of test/helpers/uninstrumented/harness.ts's Truth):
- intervals: every statement's own start and end on the server's clock;
- holds, acquiredAt, waitsMs: every checkout on this process's clock;
- opens and closes: every connection the pool opened (its configure callback) and closed, a close's
  reason the pool's own code path that closed it: _return_connection closes a connection past its
  (jittered) max_lifetime when it is returned ("lifetime"); _shrink_pool, run every max_idle
  seconds, closes one connection when some stayed unused for that long ("idle"); closing the pool
  ("shutdown").
"""
import json
import math
import random
import sys
import threading
import time

import psycopg
import psycopg_pool

o = json.loads(sys.argv[1])
rng = random.Random(o.get("seed", 1))
lock = threading.Lock()
why = threading.local()


def now():
    return time.time() * 1000.0


truth = {
    "name": o["name"],
    "appName": o.get("appName"),
    "localAddress": None,
    "intervals": [],
    "holds": [],
    "acquiredAt": [],
    "waitsMs": [],
    "opens": [],
    "closes": [],
    "listenerAt": None,
    "completed": 0,
    "errors": 0,
    "version": psycopg_pool.__version__,
    "psycopgVersion": psycopg.__version__,
}


class Conn(psycopg.Connection):
    def close(self):
        if not self.closed and hasattr(self, "_pa_opened"):
            at = now()
            with lock:
                truth["closes"].append([at, getattr(why, "reason", "error"), at - self._pa_opened])
        super().close()


def configure(conn):
    conn._pa_opened = now()
    with lock:
        truth["opens"].append(conn._pa_opened)


class Pool(psycopg_pool.ConnectionPool):
    """The pool as shipped; the two code paths that close connections say why while they run."""

    def _return_connection(self, conn):
        why.reason = "lifetime"
        try:
            super()._return_connection(conn)
        finally:
            why.reason = "error"

    def _shrink_pool(self):
        why.reason = "idle"
        try:
            super()._shrink_pool()
        finally:
            why.reason = "error"


pool = Pool(
    o["url"],
    connection_class=Conn,
    configure=configure,
    min_size=o["minSize"],
    max_size=o["maxSize"],
    max_idle=o["maxIdleS"],
    max_lifetime=o["maxLifetimeS"],
    # autocommit: no implicit transaction around each statement, so the server's busy time is the
    # statements' own (otherwise "idle in transaction" until the pool commits at return).
    kwargs={"autocommit": True} if o.get("autocommit") else {},
    open=True,
)
pool.wait(timeout=10)

SQL = "SELECT (extract(epoch FROM statement_timestamp()) * 1000)::float8, (extract(epoch FROM clock_timestamp()) * 1000)::float8 FROM pg_sleep(%s)"


def job(hold_ms):
    asked = now()
    try:
        with pool.connection(timeout=10) as conn:
            t0 = now()
            s, e = conn.execute(SQL, (hold_ms / 1000.0,)).fetchone()
            t1 = now()
        with lock:
            truth["acquiredAt"].append(t0)
            truth["waitsMs"].append(t0 - asked)
            truth["holds"].append([t0, t1])
            truth["intervals"].append([s, e])
            truth["completed"] += 1
    except Exception as err:  # noqa: BLE001 - counted: the tests expect none
        with lock:
            truth["errors"] += 1
        print(f"job failed: {err!r}", file=sys.stderr)


job(1)
sys.stdout.write("ready\n")
sys.stdout.flush()

threads = []
begun = time.monotonic()
truth["startedAt"] = now()
end = begun + o["seconds"]
nxt = begun


def worker(seed):
    r = random.Random(seed)
    while time.monotonic() < end:
        job(-math.log(1 - r.random()) * o["holdMs"])


if o.get("concurrency"):
    # Closed loop: each worker checks out again as soon as it returned.
    threads = [threading.Thread(target=worker, args=(o.get("seed", 1) * 1000 + w,)) for w in range(o["concurrency"])]
    for t in threads:
        t.start()
while not o.get("concurrency") and time.monotonic() < end:
    rate = o["rate"]
    if o.get("burstRate") and ((nxt - begun) * 1000.0) % o["periodMs"] < o["burstMs"]:
        rate = o["burstRate"]
    nxt += -math.log(1 - rng.random()) / rate
    d = nxt - time.monotonic()
    if d > 0:
        time.sleep(d)
    t = threading.Thread(target=job, args=(-math.log(1 - rng.random()) * o["holdMs"],))
    t.start()
    threads.append(t)
    threads = [x for x in threads if x.is_alive()]
for t in threads:
    t.join()
truth["endedAt"] = now()
why.reason = "shutdown"
pool.close()
with open(o["truth"], "w") as f:
    json.dump(truth, f)
