// ccxt on the same loopback simulators as derivcache (make bench). One JSON object on stdout.
//
//   node ccxt_bench.mjs chain  --port DERIBIT_PORT [--runs N]     fetchOptionChain('BTC'), markets loaded first
//   node ccxt_bench.mjs trades --port BINANCE_PORT [--seconds S]  watchTrades('BTC/USDT') over /ws + SUBSCRIBE
//
// The simulators use the test CA: run with NODE_EXTRA_CA_CERTS=<build>/certs/ca.pem (TLS stays verified).
import ccxt from 'ccxt';
import fs from 'node:fs';

// ccxt.version is set at release time and may lag the package; report what npm installed.
const ccxtVersion = JSON.parse(fs.readFileSync(new URL('./node_modules/ccxt/package.json', import.meta.url), 'utf8')).version;

const args = { mode: process.argv[2], runs: 50, seconds: 5 };
for (let i = 3; i + 1 < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
if (!args.port) {
  console.error('ccxt_bench: --port is required');
  process.exit(2);
}
const origin = `127.0.0.1:${args.port}`;
const nowUs = () => Number(process.hrtime.bigint()) / 1000;
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

async function chain() {
  // The rate limiter would pace requests 50 ms apart: off, as derivcache's bucket is off in this figure.
  const ex = new ccxt.deribit({ enableRateLimit: false, options: { fetchMarkets: { fetchAllMarkets: false } } });
  ex.urls.api = { rest: `https://${origin}` };
  await ex.loadMarkets(); // get_currencies + get_instruments per currency: not timed
  for (let i = 0; i < 3; ++i) await ex.fetchOptionChain('BTC'); // warm-up (connection, JIT)
  const full = [];
  let rows = 0;
  for (let i = 0; i < Number(args.runs); ++i) {
    const t0 = nowUs();
    const chain = await ex.fetchOptionChain('BTC');
    full.push(nowUs() - t0);
    rows = Object.keys(chain).length;
  }
  // The same request without ccxt's option parsing (fetch + JSON.parse + its envelope handling).
  const raw = [];
  for (let i = 0; i < Number(args.runs); ++i) {
    const t0 = nowUs();
    await ex.publicGetGetBookSummaryByCurrency({ currency: 'BTC', kind: 'option' });
    raw.push(nowUs() - t0);
  }
  console.log(JSON.stringify({ mode: 'ccxt_chain', ccxt: ccxtVersion, node: process.version, rows,
    fetch_option_chain_us: full, fetch_json_us: raw }));
}

async function trades() {
  const ex = new ccxt.pro.binance({ options: { fetchMarkets: { types: ['spot'] }, tradesLimit: 10000 } });
  ex.urls.api.public = `https://${origin}/api/v3`;
  ex.urls.api.ws.spot = `wss://${origin}/ws`;
  await ex.loadMarkets(); // GET /api/v3/exchangeInfo: not timed
  // Trade ids from the simulator increase by one per trade, so ids count what ccxt delivered.
  let first, last;
  const warm = Date.now() + 10000;
  while (last === undefined || last - first < 1000) {
    const ts = await ex.watchTrades('BTC/USDT');
    if (first === undefined) first = Number(ts[0].id);
    last = Number(ts[ts.length - 1].id);
    if (Date.now() > warm) throw new Error('no trades from the simulator');
  }
  const id0 = last;
  const t0 = nowUs();
  const c0 = cpuUs();
  const end = t0 + Number(args.seconds) * 1e6;
  while (nowUs() < end) {
    const ts = await ex.watchTrades('BTC/USDT');
    last = Number(ts[ts.length - 1].id);
  }
  const seconds = (nowUs() - t0) / 1e6;
  const messages = last - id0;
  const cpu = cpuUs() - c0;
  await ex.close();
  console.log(JSON.stringify({ mode: 'ccxt_trades', ccxt: ccxtVersion, node: process.version, messages, seconds,
    messages_per_s: messages / seconds, cpu_us_per_message: cpu / messages }));
}

const run = { chain, trades }[args.mode];
if (!run) {
  console.error('ccxt_bench: mode must be chain or trades');
  process.exit(2);
}
run().then(() => process.exit(0), (e) => { console.error('ccxt_bench:', e); process.exit(1); });
