// `npm start` and `npm run worker` start at once on a current build: this runs `npm run build`
// only when a source is newer than the last build's stamp (dist/.build-stamp, written by the build
// with `--stamp`), or there is no build yet. Plain CommonJS: it runs before anything is compiled.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const stamp = path.join(root, 'dist', '.build-stamp');

if (process.argv.includes('--stamp')) {
  mkdirSync(path.dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

function newest(entry) {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(entry).reduce((latest, name) => Math.max(latest, newest(path.join(entry, name))), 0);
}

const inputs = ['src', 'test', 'schema', 'package.json', 'package-lock.json', 'tsconfig.json'].map((name) => path.join(root, name)).filter(existsSync);
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map(newest));
if (built >= changed) process.exit(0);
// `--check`: only say whether a build is due (exit code 3), for tests and scripts.
if (process.argv.includes('--check')) {
  process.stderr.write('ferry: the build is out of date\n');
  process.exit(3);
}
process.stderr.write(built === 0 ? 'ferry: no build yet, building\n' : 'ferry: sources changed since the last build, building\n');
const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
