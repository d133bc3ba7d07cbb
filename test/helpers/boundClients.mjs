// A stand-in replica for the budget tests: COUNT connections to URL from LOCAL_ADDRESS (the
// socket bound to it, so pg_stat_activity's client_addr is that address), each running short
// queries until stdin closes. Prints "ready" once every connection is open.
//   node boundClients.mjs URL LOCAL_ADDRESS COUNT APP_NAME
import net from 'node:net';
import pg from 'pg';

const [url, local, countText, app] = process.argv.slice(2);
const stream = () => {
  const s = new net.Socket();
  const connect = s.connect.bind(s);
  s.connect = (port, host) => connect({ port, host, localAddress: local });
  return s;
};
const clients = [];
for (let i = 0; i < Number(countText); i++) {
  const c = new pg.Client({ connectionString: url, application_name: app, stream });
  await c.connect();
  clients.push(c);
}
let stop = false;
const loops = clients.map(async (c) => {
  while (!stop) await c.query('SELECT pg_sleep(0.02)');
});
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  stop = true;
  await Promise.allSettled(loops);
  await Promise.allSettled(clients.map((c) => c.end()));
  process.exit(0);
});
