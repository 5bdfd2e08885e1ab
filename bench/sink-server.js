// A bare webhook receiver for the benchmarks: answers 200 at once, counts requests, and keeps the receipt
// time of each Idempotency-Key. `GET /stats` → {count, prefixed}; `GET /receipts` → {id: epochMs}.
// `prefixed` counts the requests whose Idempotency-Key starts with $COUNT_PREFIX (the bench's own events,
// not those the hub derives from them, such as availability updates).
import { createServer } from 'node:http';

let count = 0;
let prefixed = 0;
const prefix = process.env.COUNT_PREFIX;
const receipts = new Map();
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const body = req.url === '/receipts' ? Object.fromEntries(receipts) : { count, prefixed };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return;
  }
  req.resume();
  req.on('end', () => {
    count += 1;
    const key = req.headers['idempotency-key'];
    if (prefix && typeof key === 'string' && key.startsWith(prefix)) prefixed += 1;
    if (process.env.KEEP_RECEIPTS && key) receipts.set(key, Date.now());
    res.writeHead(200);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
