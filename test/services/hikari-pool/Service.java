/*
 * A JVM service nobody instrumented for pool-advisor: a HikariCP pool (Debian's libhikaricp-java
 * 2.7.9) over pgJDBC (libpostgresql-jdbc-java) under a known load, writing its own ground truth on
 * exit. Run in source-file mode: java -cp HikariCP.jar:postgresql.jar:slf4j-api.jar:slf4j-nop.jar
 * Service.java '<json options>' (see test/helpers/otherPools.ts).
 *
 * Options (a flat JSON object): host, port, database, user, password (optional), appName, maxSize (HikariCP's
 * maximumPoolSize; minimumIdle is left at its default, equal to it: a fixed pool), maxLifetimeMs
 * (HikariCP resets one under 30 s to 30 min), rate (Poisson arrivals/s) or concurrency (a closed loop
 * of that many threads), holdMs (exponential, spent in a server-side pg_sleep), seconds, seed, truth.
 * The name is pgJDBC's default way: ApplicationName as a connection property, which pgJDBC sends
 * with a SET after connecting unless assumeMinServerVersion is 9.0 or later (so a new backend shows
 * no application_name for a moment).
 *
 * The truth (test/helpers/otherPools.ts's OtherTruth): intervals (every statement's start and end
 * on the server's clock), holds, acquiredAt, waitsMs (this process's clock), opens (every physical
 * connection the pool asked the driver for) and closes ([at, reason, age]): HikariCP closes a
 * connection on its own closer thread, so the reason is the pool's state when it closed: being shut
 * down ("shutdown"), else at an age of at least 97.5% of maxLifetime - HikariCP's own variance is up
 * to 2.5% - ("lifetime"), else "error".
 */
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

public class Service {
  static final Object lock = new Object();
  static final List<double[]> intervals = new ArrayList<>();
  static final List<double[]> holds = new ArrayList<>();
  static final List<Double> acquiredAt = new ArrayList<>();
  static final List<Double> waitsMs = new ArrayList<>();
  static final List<Double> opens = new ArrayList<>();
  static final List<String> closes = new ArrayList<>();
  static int completed = 0;
  static int errors = 0;
  static volatile boolean shuttingDown = false;
  static double maxLifetimeMs;

  static double now() {
    java.time.Instant n = java.time.Instant.now();
    return n.getEpochSecond() * 1000.0 + n.getNano() / 1e6; // ms on the wall clock, to the microsecond
  }

  /** A flat JSON object's values (strings, numbers, booleans): all the options are. */
  static Map<String, String> parse(String json) {
    Map<String, String> m = new HashMap<>();
    Matcher x = Pattern.compile("\"([^\"]+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.eE+]+|true|false|null)").matcher(json);
    while (x.find()) m.put(x.group(1), x.group(3) != null ? x.group(3).replace("\\\"", "\"").replace("\\\\", "\\") : x.group(2));
    return m;
  }

  /** The driver's DataSource, every physical connection it gives written down, and its close. */
  static DataSource recording(PGSimpleDataSource pg) {
    return new DataSource() {
      public Connection getConnection() throws SQLException {
        return wrap(pg.getConnection());
      }
      public Connection getConnection(String u, String p) throws SQLException {
        return wrap(pg.getConnection(u, p));
      }
      public PrintWriter getLogWriter() throws SQLException { return pg.getLogWriter(); }
      public void setLogWriter(PrintWriter out) throws SQLException { pg.setLogWriter(out); }
      public void setLoginTimeout(int s) throws SQLException { pg.setLoginTimeout(s); }
      public int getLoginTimeout() throws SQLException { return pg.getLoginTimeout(); }
      public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
      public <T> T unwrap(Class<T> c) throws SQLException { return pg.unwrap(c); }
      public boolean isWrapperFor(Class<?> c) throws SQLException { return pg.isWrapperFor(c); }
    };
  }

  static Connection wrap(Connection c) {
    double opened = now();
    synchronized (lock) { opens.add(opened); }
    boolean[] closed = {false};
    InvocationHandler h = (proxy, method, args) -> {
      if (method.getName().equals("close") && !closed[0]) {
        closed[0] = true;
        double at = now();
        double age = at - opened;
        String reason = shuttingDown ? "shutdown" : age >= 0.975 * maxLifetimeMs ? "lifetime" : "error";
        synchronized (lock) { closes.add(String.format(Locale.ROOT, "[%.3f,\"%s\",%.3f]", at, reason, age)); }
      }
      try {
        return method.invoke(c, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (Connection) Proxy.newProxyInstance(Service.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
  }

  static void job(HikariDataSource ds, double holdMs) {
    double asked = now();
    try (Connection conn = ds.getConnection()) {
      double t0 = now();
      double s, e;
      try (Statement st = conn.createStatement();
           ResultSet rs = st.executeQuery(String.format(Locale.ROOT, "SELECT (extract(epoch FROM statement_timestamp()) * 1000)::float8, (extract(epoch FROM clock_timestamp()) * 1000)::float8 FROM pg_sleep(%.6f)", holdMs / 1000.0))) {
        rs.next();
        s = rs.getDouble(1);
        e = rs.getDouble(2);
      }
      double t1 = now();
      synchronized (lock) {
        acquiredAt.add(t0);
        waitsMs.add(t0 - asked);
        holds.add(new double[] {t0, t1});
        intervals.add(new double[] {s, e});
        completed++;
      }
    } catch (SQLException ex) {
      synchronized (lock) { errors++; }
      System.err.println("job failed: " + ex);
    }
  }

  static String nums(List<Double> xs) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < xs.size(); i++) b.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "%.3f", xs.get(i)));
    return b.append("]").toString();
  }

  static String pairs(List<double[]> xs) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < xs.size(); i++) b.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "[%.3f,%.3f]", xs.get(i)[0], xs.get(i)[1]));
    return b.append("]").toString();
  }

  static String q(String s) {
    return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> o = parse(argv[0]);
    maxLifetimeMs = Double.parseDouble(o.getOrDefault("maxLifetimeMs", "1800000"));
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setServerNames(new String[] {o.get("host")});
    pg.setPortNumbers(new int[] {Integer.parseInt(o.get("port"))});
    pg.setDatabaseName(o.get("database"));
    pg.setUser(o.get("user"));
    if (o.get("password") != null && !o.get("password").equals("null")) pg.setPassword(o.get("password"));
    pg.setApplicationName(o.get("appName"));
    HikariConfig cfg = new HikariConfig();
    cfg.setDataSource(recording(pg));
    cfg.setPoolName(o.get("name"));
    cfg.setMaximumPoolSize(Integer.parseInt(o.get("maxSize")));
    cfg.setMaxLifetime((long) maxLifetimeMs);
    cfg.setConnectionTimeout(10_000);
    HikariDataSource ds = new HikariDataSource(cfg);
    int size = Integer.parseInt(o.get("maxSize"));
    long until = System.currentTimeMillis() + 15_000;
    while (ds.getHikariPoolMXBean().getTotalConnections() < size && System.currentTimeMillis() < until) Thread.sleep(50);
    job(ds, 1);
    System.out.println("ready");
    System.out.flush();

    Random rng = new Random(Long.parseLong(o.getOrDefault("seed", "1")));
    double holdMs = Double.parseDouble(o.get("holdMs"));
    double seconds = Double.parseDouble(o.get("seconds"));
    double startedAt = now();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "0"));
    ExecutorService ex = Executors.newCachedThreadPool();
    if (concurrency > 0) {
      for (int w = 0; w < concurrency; w++) {
        Random r = new Random(rng.nextLong());
        ex.submit(() -> {
          while (System.nanoTime() < end) job(ds, -Math.log(1 - r.nextDouble()) * holdMs);
        });
      }
    } else {
      double rate = Double.parseDouble(o.get("rate"));
      long next = System.nanoTime();
      while (next < end) {
        next += (long) (-Math.log(1 - rng.nextDouble()) / rate * 1e9);
        long d = next - System.nanoTime();
        if (d > 0) Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
        double hold = -Math.log(1 - rng.nextDouble()) * holdMs;
        ex.submit(() -> job(ds, hold));
      }
    }
    ex.shutdown();
    ex.awaitTermination(60, TimeUnit.SECONDS);
    double endedAt = now();
    shuttingDown = true;
    ds.close();
    String closesJson;
    synchronized (lock) { closesJson = "[" + String.join(",", closes) + "]"; }
    String version = HikariConfig.class.getPackage().getImplementationVersion();
    String json = "{\"name\":" + q(o.get("name")) + ",\"appName\":" + q(o.get("appName")) + ",\"localAddress\":null,\"listenerAt\":null"
        + ",\"startedAt\":" + String.format(Locale.ROOT, "%.3f", startedAt) + ",\"endedAt\":" + String.format(Locale.ROOT, "%.3f", endedAt)
        + ",\"intervals\":" + pairs(intervals) + ",\"holds\":" + pairs(holds) + ",\"acquiredAt\":" + nums(acquiredAt) + ",\"waitsMs\":" + nums(waitsMs)
        + ",\"opens\":" + nums(opens) + ",\"closes\":" + closesJson + ",\"completed\":" + completed + ",\"errors\":" + errors
        + ",\"version\":" + q(version) + ",\"driverVersion\":" + q(org.postgresql.Driver.getVersion()) + "}";
    Files.writeString(Path.of(o.get("truth")), json);
  }
}
