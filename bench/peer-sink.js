// The webhook receiver of the peer benchmark (bench/peer-nodered.js), in the style of sink-server.js:
// answers 200 as soon as a request's body is in, and keeps, per event key, the event ids in order of first
// arrival with their receipt time (the body is a structured CloudEvent: `id`, and `partitionkey`, else
// `subject`). A repeat of an id (a resend) keeps its first place and is counted apart.
// `GET /stats` → {count, distinct}; `GET /receipts` → {count, repeats, unreadable, keys: {key: [[id, epochMs], ...]}}; `POST /reset` empties it.
import { createServer } from 'node:http';

let count = 0;
let repeats = 0;
let unreadable = 0;
let seen = new Set();
let keys = new Map();

function record(body) {
  let event;
  try {
    event = JSON.parse(body);
  } catch {
    unreadable += 1;
    return;
  }
  const id = event?.id;
  const key = event?.partitionkey ?? event?.subject;
  if (typeof id !== 'string' || typeof key !== 'string') {
    unreadable += 1;
    return;
  }
  if (seen.has(id)) {
    repeats += 1;
    return;
  }
  seen.add(id);
  let list = keys.get(key);
  if (list === undefined) {
    list = [];
    keys.set(key, list);
  }
  list.push([id, Date.now()]);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/receipts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count, repeats, unreadable, keys: Object.fromEntries(keys) }));
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count, distinct: seen.size }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    req.resume();
    count = 0;
    repeats = 0;
    unreadable = 0;
    seen = new Set();
    keys = new Map();
    res.writeHead(204);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    count += 1;
    record(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
