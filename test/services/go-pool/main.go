// A Go service nobody instrumented for pool-advisor: a database/sql pool (lib/pq) under a known load,
// exporting client_golang's own DBStats collector (go_sql_*) on /metrics, and writing its own ground
// truth on exit. The observe tests start it (test/helpers/otherPools.ts builds it with the Debian
// packages golang-go, golang-github-lib-pq-dev and golang-github-prometheus-client-golang-dev).
//
// Usage: go-pool '<json options>' (see opts: Poisson arrivals at rate, or at burstRate for the first
// burstMs of every periodMs; or a closed loop of concurrency workers; holds of holdMs, exponential
// unless dist is "constant", spent in a server-side pg_sleep, or with clientHold in the caller with
// the connection checked out after a short statement). Prints one line {"port":N} once /metrics listens and
// the pool has run one statement; exits after `seconds` (or on SIGTERM) and writes the truth file:
//   - intervals: every statement's own start and end on the server's clock (statement_timestamp(),
//     clock_timestamp()), so this process's scheduling does not widen them;
//   - holds and acquiredAt/waitsMs: every checkout (db.Conn .. conn.Close) on this process's clock;
//   - opens and closes: every connection the driver opened and closed, a close's reason read from
//     database/sql's own counters (MaxIdleTimeClosed, MaxLifetimeClosed, MaxIdleClosed), which it
//     increments before it closes the connection;
//   - served: [ms, inUse, open] as the collector gave them to each scrape;
//   - stats: db.Stats() every 100 ms (the figures the collector exports), as [ms, waitCount,
//     waitDurationS, maxIdleClosed, maxIdleTimeClosed, maxLifetimeClosed, inUse, idle, open].
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

type opts struct {
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	AppName     string  `json:"appName"`
	Rate        float64 `json:"rate"`
	BurstRate   float64 `json:"burstRate"`
	BurstMs     float64 `json:"burstMs"`
	PeriodMs    float64 `json:"periodMs"`
	ClientHold  bool    `json:"clientHold"`
	Concurrency int     `json:"concurrency"`
	HoldMs      float64 `json:"holdMs"`
	Dist        string  `json:"dist"`
	MaxOpen     int     `json:"maxOpen"`
	MaxIdle     int     `json:"maxIdle"`
	LifetimeMs  int     `json:"lifetimeMs"`
	IdleTimeMs  int     `json:"idleTimeMs"`
	Seconds     float64 `json:"seconds"`
	Seed        int64   `json:"seed"`
	Warm        int     `json:"warm"`
	Truth       string  `json:"truth"`
}

type closeRec struct {
	at     float64
	reason string
	ageMs  float64
}

func (c closeRec) MarshalJSON() ([]byte, error) {
	return json.Marshal([]interface{}{c.at, c.reason, c.ageMs})
}

type truth struct {
	Name         string         `json:"name"`
	AppName      string         `json:"appName"`
	LocalAddress *string        `json:"localAddress"`
	StartedAt    float64        `json:"startedAt"`
	EndedAt      float64        `json:"endedAt"`
	Intervals    [][2]float64   `json:"intervals"`
	Holds        [][2]float64   `json:"holds"`
	AcquiredAt   []float64      `json:"acquiredAt"`
	WaitsMs      []float64      `json:"waitsMs"`
	Opens        []float64      `json:"opens"`
	Closes       []closeRec     `json:"closes"`
	ListenerAt   *float64       `json:"listenerAt"`
	Completed    int            `json:"completed"`
	Errors       int            `json:"errors"`
	Stats        [][9]float64   `json:"stats"`
	Served       [][3]float64   `json:"served"`
	Settings     map[string]int `json:"settings"`
}

var (
	mu           sync.Mutex
	t            truth
	db           *sql.DB
	shuttingDown bool
	// How many of database/sql's closes by reason the wrapper has already written down.
	seenIdleTime, seenLifetime, seenMaxIdle int64
)

func nowMs() float64 { return float64(time.Now().UnixNano()) / 1e6 }

// A connector that wraps lib/pq's, to see every open and close.
type connector struct{ inner driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	opened := nowMs()
	mu.Lock()
	t.Opens = append(t.Opens, opened)
	mu.Unlock()
	return &conn2{Conn: conn, opened: opened}, nil
}
func (c connector) Driver() driver.Driver { return c.inner.Driver() }

type conn2 struct {
	driver.Conn
	opened float64
}

func (c *conn2) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}
func (c *conn2) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}
func (c *conn2) Close() error {
	at := nowMs()
	// database/sql counts a close by reason before it closes the connection: the first count not yet
	// written down is this close's.
	reason := "error"
	if db != nil {
		s := db.Stats()
		mu.Lock()
		switch {
		case s.MaxIdleTimeClosed > seenIdleTime:
			seenIdleTime++
			reason = "idle"
		case s.MaxLifetimeClosed > seenLifetime:
			seenLifetime++
			reason = "lifetime"
		case s.MaxIdleClosed > seenMaxIdle:
			seenMaxIdle++
			reason = "max-idle"
		case shuttingDown:
			reason = "shutdown"
		}
		t.Closes = append(t.Closes, closeRec{at, reason, at - c.opened})
		mu.Unlock()
	}
	return c.Conn.Close()
}

// The DBStats collector as shipped, its in-use and open gauges written down as it hands them to a scrape.
type logged struct{ inner prometheus.Collector }

func (l logged) Describe(ch chan<- *prometheus.Desc) { l.inner.Describe(ch) }
func (l logged) Collect(ch chan<- prometheus.Metric) {
	mid := make(chan prometheus.Metric, 64)
	go func() { l.inner.Collect(mid); close(mid) }()
	var inUse, open float64
	for m := range mid {
		var d dto.Metric
		if err := m.Write(&d); err == nil && d.Gauge != nil {
			desc := m.Desc().String()
			if strings.Contains(desc, `"go_sql_in_use_connections"`) {
				inUse = d.Gauge.GetValue()
			} else if strings.Contains(desc, `"go_sql_open_connections"`) {
				open = d.Gauge.GetValue()
			}
		}
		ch <- m
	}
	mu.Lock()
	t.Served = append(t.Served, [3]float64{nowMs(), inUse, open})
	mu.Unlock()
}

func hold(rng *rand.Rand, o opts) float64 {
	if o.Dist == "constant" {
		return o.HoldMs
	}
	return -math.Log(1-rng.Float64()) * o.HoldMs
}

func job(ctx context.Context, holdMs float64, clientHold bool) {
	asked := nowMs()
	c, err := db.Conn(ctx)
	if err != nil {
		mu.Lock()
		t.Errors++
		mu.Unlock()
		return
	}
	t0 := nowMs()
	var s, e float64
	// No arguments: lib/pq sends it as one simple query, so the backend is active exactly while it runs.
	sleepS := holdMs / 1000
	if clientHold {
		sleepS = 0
	}
	q := fmt.Sprintf("SELECT (extract(epoch FROM statement_timestamp()) * 1000)::float8, (extract(epoch FROM clock_timestamp()) * 1000)::float8 FROM pg_sleep(%.6f)", sleepS)
	err = c.QueryRowContext(ctx, q).Scan(&s, &e)
	if clientHold && err == nil {
		// The connection stays checked out while the caller works: idle on the server meanwhile.
		time.Sleep(time.Duration(holdMs * float64(time.Millisecond)))
	}
	c.Close()
	t1 := nowMs()
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Errors++
		return
	}
	t.AcquiredAt = append(t.AcquiredAt, t0)
	t.WaitsMs = append(t.WaitsMs, t0-asked)
	t.Holds = append(t.Holds, [2]float64{t0, t1})
	t.Intervals = append(t.Intervals, [2]float64{s, e})
	t.Completed++
}

func main() {
	var o opts
	if err := json.Unmarshal([]byte(os.Args[1]), &o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	t = truth{Name: o.Name, AppName: o.AppName, Intervals: [][2]float64{}, Holds: [][2]float64{}, AcquiredAt: []float64{}, WaitsMs: []float64{}, Opens: []float64{}, Closes: []closeRec{}, Stats: [][9]float64{}, Served: [][3]float64{},
		Settings: map[string]int{"maxOpen": o.MaxOpen, "maxIdle": o.MaxIdle, "lifetimeMs": o.LifetimeMs, "idleTimeMs": o.IdleTimeMs}}
	pc, err := pq.NewConnector(o.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db = sql.OpenDB(connector{pc})
	db.SetMaxOpenConns(o.MaxOpen)
	db.SetMaxIdleConns(o.MaxIdle)
	db.SetConnMaxLifetime(time.Duration(o.LifetimeMs) * time.Millisecond)
	db.SetConnMaxIdleTime(time.Duration(o.IdleTimeMs) * time.Millisecond)

	reg := prometheus.NewRegistry()
	reg.MustRegister(logged{collectors.NewDBStatsCollector(db, o.Name)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	go http.Serve(ln, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// Warm: open this many connections at once and return them, as services that keep a fixed
	// pool (SetMaxIdleConns = SetMaxOpenConns, no idle time) do at start.
	var warmed []*sql.Conn
	for i := 0; i < o.Warm; i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		warmed = append(warmed, c)
	}
	for _, c := range warmed {
		c.Close()
	}
	stop := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() { <-sig; close(stop) }()
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}

	t.StartedAt = nowMs()
	fmt.Printf("{\"port\":%d}\n", ln.Addr().(*net.TCPAddr).Port)
	go func() {
		for !stopped() {
			s := db.Stats()
			row := [9]float64{nowMs(), float64(s.WaitCount), s.WaitDuration.Seconds(), float64(s.MaxIdleClosed), float64(s.MaxIdleTimeClosed), float64(s.MaxLifetimeClosed), float64(s.InUse), float64(s.Idle), float64(s.OpenConnections)}
			mu.Lock()
			t.Stats = append(t.Stats, row)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()

	end := time.Now().Add(time.Duration(o.Seconds * float64(time.Second)))
	var wg sync.WaitGroup
	rng := rand.New(rand.NewSource(o.Seed))
	if o.Concurrency > 0 {
		// Closed loop: each worker acquires again as soon as it released.
		for w := 0; w < o.Concurrency; w++ {
			wg.Add(1)
			r := rand.New(rand.NewSource(o.Seed + int64(w) + 1))
			go func() {
				defer wg.Done()
				for !stopped() && time.Now().Before(end) {
					job(ctx, hold(r, o), o.ClientHold)
				}
			}()
		}
	} else {
		// Open loop: Poisson arrivals at `rate`, independent of how fast the pool answers.
		// With burstRate, the first burstMs of every periodMs run at burstRate instead.
		begun := time.Now()
		next := begun
		for !stopped() && time.Now().Before(end) {
			rate := o.Rate
			if o.BurstRate > 0 && math.Mod(float64(next.Sub(begun))/1e6, o.PeriodMs) < o.BurstMs {
				rate = o.BurstRate
			}
			next = next.Add(time.Duration(-math.Log(1-rng.Float64()) / rate * float64(time.Second)))
			if d := time.Until(next); d > 0 {
				select {
				case <-time.After(d):
				case <-stop:
				}
			}
			h := hold(rng, o)
			wg.Add(1)
			go func() { defer wg.Done(); job(ctx, h, o.ClientHold) }()
		}
	}
	wg.Wait()
	mu.Lock()
	t.EndedAt = nowMs()
	shuttingDown = true
	mu.Unlock()
	db.Close()
	mu.Lock()
	out, _ := json.Marshal(t)
	mu.Unlock()
	if err := os.WriteFile(o.Truth, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
