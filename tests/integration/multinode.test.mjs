// Several `gatehouse serve` nodes on one PostgreSQL database: a change made through one (here
// the CLI, later the API) is served by the others within 1 s, and still within the cache TTL
// after a node's listener connection is killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cleanup, cli, startServer, tempDir, waitFor } from './lib.mjs';

const ADMIN = process.env.GATEHOUSE_TEST_PG;
if (!ADMIN) throw new Error('GATEHOUSE_TEST_PG is not set: run through `make test`');

function psql(url, sql) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' }).trim();
}

test('two nodes on one PostgreSQL store see each other\'s changes', async () => {
  const db = `gh_it_${randomBytes(4).toString('hex')}`;
  psql(ADMIN, `CREATE DATABASE ${db}`);
  const store = ADMIN.replace(/\/[^/]*$/, `/${db}`);
  const dirs = [tempDir(), tempDir()];
  const TTL_MS = 3000;
  const env = { GATEHOUSE_CACHE_TTL_MS: String(TTL_MS) };
  const a = await startServer({ dataDir: dirs[0], store, env });
  const b = await startServer({ dataDir: dirs[1], store, env });
  try {
    const display = async (srv, name) => {
      const r = await fetch(`${srv.url}/${name}`);
      return r.status === 200 ? (await r.json()).display_name : null;
    };
    // Both miss it first (and B caches nothing for a missing name).
    assert.equal(await display(a, 'production'), null);
    assert.equal(await display(b, 'production'), null);

    cli(['env', 'create', 'production', '--display-name', 'Production', '--store', store, '--log-level', 'warn']);
    let ms = await waitFor(async () => (await display(b, 'production')) === 'Production', { timeoutMs: 1000 });
    assert.ok(ms >= 0, 'B serves a new environment within 1 s');
    assert.equal(await display(a, 'production'), 'Production');

    // B has it cached now; a change must reach it through NOTIFY, not the TTL.
    cli(['env', 'update', 'production', '--display-name', 'Production EU', '--store', store, '--log-level', 'warn']);
    ms = await waitFor(async () => (await display(b, 'production')) === 'Production EU', { timeoutMs: 1000 });
    assert.ok(ms >= 0 && ms < 1000, `B serves the change within 1 s (took ${ms} ms)`);

    // Kill B's listener connection (A's too: the database only knows application names).
    const killed = psql(ADMIN, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'gatehouse-listener' AND datname = '${db}'`);
    assert.ok(Number(killed) >= 1);
    cli(['env', 'update', 'production', '--display-name', 'Production US', '--store', store, '--log-level', 'warn']);
    ms = await waitFor(async () => (await display(b, 'production')) === 'Production US', { timeoutMs: TTL_MS + 1000 });
    assert.ok(ms >= 0 && ms <= TTL_MS + 500, `B serves the change within the TTL after losing its listener (took ${ms} ms)`);
    // The listener came back.
    const back = await waitFor(() => Number(psql(ADMIN, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gatehouse-listener' AND datname = '${db}'`)) >= 2, { timeoutMs: 10000, intervalMs: 200 });
    assert.ok(back >= 0, 'listeners reconnect');
    const ready = await (await fetch(`${b.url}/readyz`)).json();
    assert.equal(ready.store, 'postgres');
  } finally {
    await a.stop();
    await b.stop();
    dirs.forEach(cleanup);
    psql(ADMIN, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
});
