// A local webhook receiver for the delivery benchmark: answers 200 at once, counts distinct
// event ids, and prints a JSON line when it has `expect` of them.
import http from 'node:http';
const [port, expect] = [Number(process.argv[2]), Number(process.argv[3])];
const seen = new Set();
let first = 0;
let requests = 0;
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    if (!first) first = Date.now();
    seen.add(req.headers['gatehouse-event-id']);
    res.writeHead(200).end();
    if (seen.size === expect) {
      const ms = Date.now() - first;
      console.log(JSON.stringify({ events: seen.size, requests, ms, per_s: Math.round((seen.size * 1000) / ms) }));
      process.exit(0);
    }
  });
}).listen(port, '127.0.0.1');
