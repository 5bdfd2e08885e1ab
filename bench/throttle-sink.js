// A webhook receiver for the throttling benchmark. MODE (environment) says how it answers:
//  - accept: 200 at once;
//  - flaky: 503 to the first two attempts of every Idempotency-Key, 200 to the third;
//  - limited: at most LIMIT requests accepted in any sliding second; above that 429 with Retry-After
//    (whole seconds until a slot frees, at least 1).
// `GET /stats` → {requests, accepted, distinct, rejected, duplicates, maxAcceptedPerSecond, maxRequestsPerSecond,
// firstAt, lastAcceptedAt}: "per second" is the most in any sliding 1,000 ms window.
import { createServer } from 'node:http';

const MODE = process.env.MODE ?? 'accept';
const LIMIT = Number(process.env.LIMIT ?? 20);
const WINDOW_MS = 1000;

let requests = 0;
let rejected = 0;
/** Requests for a key that had already been accepted: deliveries sent twice. */
let duplicates = 0;
const attempts = new Map();
const acceptedKeys = new Set();
let acceptedCount = 0;
/** Times of the requests (all) and of the accepted ones within the last window. */
const recentRequests = [];
const recentAccepted = [];
let maxRequestsPerSecond = 0;
let maxAcceptedPerSecond = 0;
let firstAt;
let lastAcceptedAt;

function slide(times, now) {
  while (times.length > 0 && times[0] <= now - WINDOW_MS) times.shift();
}

function answer(key, now) {
  if (MODE === 'flaky') {
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    return attempt <= 2 ? { status: 503 } : { status: 200 };
  }
  if (MODE === 'limited') {
    slide(recentAccepted, now);
    if (recentAccepted.length >= LIMIT) {
      const freeAt = recentAccepted[0] + WINDOW_MS;
      return {
        status: 429,
        headers: { 'retry-after': String(Math.max(1, Math.ceil((freeAt - now) / 1000))) },
      };
    }
  }
  return { status: 200 };
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        requests,
        accepted: acceptedCount,
        distinct: acceptedKeys.size,
        rejected,
        duplicates,
        maxAcceptedPerSecond,
        maxRequestsPerSecond,
        firstAt,
        lastAcceptedAt,
      }),
    );
    return;
  }
  req.resume();
  req.on('end', () => {
    const now = Date.now();
    firstAt ??= now;
    requests += 1;
    recentRequests.push(now);
    slide(recentRequests, now);
    maxRequestsPerSecond = Math.max(maxRequestsPerSecond, recentRequests.length);
    const key = String(req.headers['idempotency-key']);
    if (acceptedKeys.has(key)) duplicates += 1;
    const { status, headers = {} } = answer(key, now);
    if (status === 200) {
      acceptedCount += 1;
      acceptedKeys.add(key);
      lastAcceptedAt = now;
      recentAccepted.push(now);
      slide(recentAccepted, now);
      maxAcceptedPerSecond = Math.max(maxAcceptedPerSecond, recentAccepted.length);
    } else rejected += 1;
    res.writeHead(status, headers);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
