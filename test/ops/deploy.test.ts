import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/config';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const SETTINGS = new Set([...Object.keys(configSchema.shape), 'NODE_ENV']);
const CLI_COMMANDS = ['serve', 'worker', 'migrate', 'token', 'doctor', 'import', 'export'];

/**
 * What can be checked here of deploy/ (no Docker engine runs on these machines): the compose file
 * parses and runs the commands the CLI has, with settings Ferry knows; the image runs the CLI as
 * a non-root user with a health check on /healthz; the systemd units pass `systemd-analyze verify`
 * where it is installed; the README documents the same commands.
 */
describe('deployment files', () => {
  it('compose: Ferry and a worker on PostgreSQL, MongoDB as a profile, only settings Ferry knows', () => {
    const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; profiles?: string[]; depends_on?: Record<string, unknown>; image?: string }>;
    };
    assert.deepEqual(Object.keys(compose.services).sort(), ['ferry', 'mongodb', 'postgres', 'worker']);
    assert.deepEqual(compose.services.ferry.command, ['serve']);
    assert.deepEqual(compose.services.worker.command, ['worker']);
    assert.deepEqual(compose.services.mongodb.profiles, ['mongodb']);
    for (const name of ['ferry', 'worker']) {
      const service = compose.services[name];
      assert.ok(CLI_COMMANDS.includes(service.command![0]), `${name} runs a ferry command`);
      assert.ok(service.depends_on?.postgres, `${name} waits for PostgreSQL`);
      for (const key of Object.keys(service.environment ?? {})) assert.ok(SETTINGS.has(key), `${name}: ${key} is a Ferry setting`);
      assert.match(service.environment!.DATABASE_URL, /@postgres:5432\/ferry$/);
      assert.ok(service.environment!.FERRY_SECRETS_KEY, 'every process gets the same secrets key');
    }
    assert.equal(compose.services.ferry.environment!.FERRY_RUN_WORKERS, 'false', 'the worker service runs the jobs');
    const workerCheck = (compose.services.worker as { healthcheck?: { test?: string[] } }).healthcheck?.test?.join(' ') ?? '';
    assert.match(workerCheck, /FERRY_WORKER_PORT \|\| 4001\) \+ '\/healthz'/, "the worker's health check asks its own port");
  });

  it('image: built once, runs the ferry CLI as a non-root user, with a health check on /healthz', () => {
    const dockerfile = read('deploy/Dockerfile');
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    assert.equal(stages.length, 2, 'multi-stage: build, then run');
    assert.match(dockerfile, /RUN npm run build && npm prune --omit=dev/);
    assert.match(dockerfile, /^USER ferry$/m);
    assert.doesNotMatch(dockerfile, /^USER root$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*\n.*\/healthz/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "dist\/src\/cli\/ferry\.js"\]$/m);
    assert.match(dockerfile, /^CMD \["serve"\]$/m);
    for (const [, key] of dockerfile.matchAll(/^ {4}(\w+)=/gm)) assert.ok(SETTINGS.has(key), `${key} is a Ferry setting`);
    for (const [, key] of dockerfile.matchAll(/^ENV (\w+)=/gm)) assert.ok(SETTINGS.has(key), `${key} is a Ferry setting`);
    const ignored = read('deploy/Dockerfile.dockerignore').split('\n');
    for (const local of ['node_modules', 'dist', '.ferry', '.git']) assert.ok(ignored.includes(local), `the build context leaves out ${local}`);
  });

  it('systemd: the server and worker units run ferry serve and ferry worker, and verify', async (t) => {
    for (const [unit, command] of [['ferry.service', 'serve'], ['ferry-worker.service', 'worker']]) {
      const text = read(`deploy/systemd/${unit}`);
      assert.match(text, new RegExp(`^ExecStart=/usr/bin/node /opt/ferry/dist/src/cli/ferry\\.js ${command}$`, 'm'));
      assert.match(text, /^User=ferry$/m);
      assert.match(text, /^EnvironmentFile=\/etc\/ferry\/ferry\.env$/m);
    }
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(existsSync);
    if (!analyze) {
      t.skip('systemd-analyze is not installed here: the units were checked by their text only');
      return;
    }
    const { stdout, stderr } = await promisify(execFile)(analyze, ['verify', ...['ferry.service', 'ferry-worker.service'].map((unit) => path.join(ROOT, 'deploy/systemd', unit))]);
    assert.equal(`${stdout}${stderr}`.trim(), '', 'systemd-analyze verify reports nothing');
  });

  it('the README documents the commands the files use', () => {
    const readme = read('README.md');
    for (const command of [
      'docker build -f deploy/Dockerfile -t ferry .',
      'docker compose -f deploy/compose.yaml up -d',
      'docker compose -f deploy/compose.yaml --profile mongodb up -d',
      'systemctl enable --now ferry',
      'systemctl enable --now ferry-worker',
    ]) {
      assert.ok(readme.includes(command), `README: ${command}`);
    }
    assert.ok(read('deploy/Dockerfile').includes('docker build -f deploy/Dockerfile -t ferry .'));
    assert.ok(read('deploy/compose.yaml').includes('docker compose -f deploy/compose.yaml up -d'));
  });
});
