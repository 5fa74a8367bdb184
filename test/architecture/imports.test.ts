import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import madge from 'madge';

const root = path.resolve(__dirname, '../../..');

/** The import graph of src/ (type imports included: they tie files together for a reader too). */
async function graph(): Promise<{ obj(): Record<string, string[]>; circular(): string[][] }> {
  return madge(path.join(root, 'src'), {
    fileExtensions: ['ts'],
    tsConfig: path.join(root, 'tsconfig.json'),
    // The generated client and the console (a browser app with its own build) are not the server's layers.
    excludeRegExp: [/client\/generated\//, /console\/web\//],
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
}

/** The house's layers, as the imports draw them (README, Architecture). */
describe('architecture: imports', () => {
  it('has no import cycle in src/', async () => {
    assert.deepEqual((await graph()).circular(), []);
  });

  it('keeps the GraphQL request context out of the domain: services take an Actor (auth/actor.ts)', async () => {
    const imports = (await graph()).obj();
    // Resolvers, HTTP routes and the API layer itself are the only users of the request context.
    const apiSide = (file: string) => file.startsWith('api/') || /\.(resolver|routes)\.ts$/.test(file);
    const offenders = Object.entries(imports)
      .filter(([file, deps]) => !apiSide(file) && deps.some((dep) => dep.startsWith('api/')))
      .map(([file, deps]) => `${file} -> ${deps.filter((dep) => dep.startsWith('api/')).join(', ')}`);
    // The schema tool and the app wire the API; the entity list names the API's own table.
    const wiring = new Set(['app.ts', 'tools/schema.ts', 'db/entities.ts']);
    assert.deepEqual(offenders.filter((line) => !wiring.has(line.split(' -> ')[0])), []);
  });

  it('names the layer that authorizes *.service.ts, and only it: every service takes an Actor', async () => {
    const imports = (await graph()).obj();
    const services = Object.keys(imports).filter((file) => file.endsWith('.service.ts'));
    assert.ok(services.length >= 20, services.join(', '));
    // The catalog service only groups the catalog records' services.
    const withoutActor = services.filter((file) => file !== 'registry/catalog.service.ts' && !imports[file].includes('auth/actor.ts'));
    assert.deepEqual(withoutActor, []);
    assert.deepEqual(Object.keys(imports).filter((file) => file.endsWith('.api.ts')), [], 'one name for one role');
  });

  it('keeps every GraphQL input type in a *.inputs.ts file (types that are input and output at once aside)', async () => {
    const files = Object.keys((await graph()).obj());
    const misplaced: string[] = [];
    for (const file of files.filter((name) => !name.endsWith('.inputs.ts'))) {
      const text = await readFile(path.join(root, 'src', file), 'utf8');
      // A class decorated @InputType(...) and not also @ObjectType(...) (the data filters are both).
      for (const match of text.matchAll(/@InputType\([^\n]*\)\n(@ObjectType)?[^\n]*?class (\w+)/g)) {
        if (!match[1]) misplaced.push(`${file}: ${match[2]}`);
      }
    }
    assert.deepEqual(misplaced, []);
  });
});
