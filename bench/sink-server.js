// A bare webhook receiver for the benchmarks: answers 200 at once, counts requests, and keeps the receipt
// time of each Idempotency-Key. `GET /stats` → {count}; `GET /receipts` → {id: epochMs}.
import { createServer } from 'node:http';

let count = 0;
const receipts = new Map();
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const body = req.url === '/receipts' ? Object.fromEntries(receipts) : { count };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return;
  }
  req.resume();
  req.on('end', () => {
    count += 1;
    const key = req.headers['idempotency-key'];
    if (process.env.KEEP_RECEIPTS && key) receipts.set(key, Date.now());
    res.writeHead(200);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
