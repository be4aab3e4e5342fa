import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFFLINE_GUARD } from './package-service';

/**
 * The guard the template test packages under: it must refuse and record what would reach the network
 * (an HTTPS request as an SDK makes it, fetch, a DNS lookup), or "no attempt" would prove nothing.
 */
describe('the offline guard', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'offline-guard-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses and records connections, fetches and lookups, and lets a process run otherwise', () => {
    const log = join(dir, 'attempts.log');
    writeFileSync(log, '');
    const script = `
      const results = [];
      const https = require('node:https');
      const request = new Promise((resolve) => {
        https.get('https://sts.amazonaws.com/', () => resolve('answered')).on('error', (e) => resolve(e.message));
      });
      const fetched = fetch('http://169.254.169.254/latest/meta-data/').then(() => 'answered', (e) => String(e.cause?.message ?? e.message));
      const looked = new Promise((resolve) => require('node:dns').lookup('registry.npmjs.org', (e) => resolve(e ? e.message : 'resolved')));
      Promise.all([request, fetched, looked]).then((r) => console.log(JSON.stringify(r)));
    `;
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_OPTIONS: `--require ${OFFLINE_GUARD}`, OFFLINE_GUARD_LOG: log },
      encoding: 'utf8',
      timeout: 60_000,
    });

    expect(run.status).toBe(0);
    const answers = JSON.parse(run.stdout.trim()) as string[];
    expect(answers.every((a) => a.startsWith('offline packaging: refused'))).toBe(true);
    const attempts = readFileSync(log, 'utf8');
    expect(attempts).toMatch(/sts\.amazonaws\.com/);
    expect(attempts).toMatch(/169\.254\.169\.254:80/);
    expect(attempts).toMatch(/dns lookup registry\.npmjs\.org/);
  });
});
