// The native API's OpenAPI document (docs/api/kiln-v1.openapi.yaml) against the routes the
// daemon registers: every documented operation is served, and every `/kiln/v1` route is
// documented. The document's paths and methods are read off its indentation (two spaces for a
// path, four for a method), which is all of YAML this check needs.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { openEngine } from '../../../src/daemon/images/engine.js';
import { routes } from '../../../src/daemon/server/daemon.js';
import { jsonLogger } from '../../../src/daemon/server/logger.js';
import { ForegroundRuns } from '../../../src/daemon/server/run-route.js';
import { tempDir } from '../../helpers/tmp.js';

const documentUrl = new URL('../../../docs/api/kiln-v1.openapi.yaml', import.meta.url);

/** `METHOD /path` for each operation, path parameters filled with a sample value. */
async function documentedOperations(): Promise<string[]> {
  const operations: string[] = [];
  let path: string | undefined;
  for (const line of (await readFile(documentUrl, 'utf8')).split('\n')) {
    const pathLine = /^ {2}(\/\S*):\s*$/.exec(line);
    if (pathLine !== null) path = pathLine[1]!.replace(/\{[^}]+\}/g, 'sample');
    else if (/^\S/.test(line)) path = undefined;
    const methodLine = /^ {4}(get|post|put|delete|head):\s*$/.exec(line);
    if (path !== undefined && methodLine !== null) operations.push(`${methodLine[1]!.toUpperCase()} ${path}`);
  }
  return operations;
}

describe('the native API document', async () => {
  const engine = await openEngine({ root: await tempDir('api-document') });
  after(() => engine.close());
  const table = routes(jsonLogger({ debug: false, write: () => undefined }), engine, new ForegroundRuns()).table();
  const operations = await documentedOperations();

  it('documents operations, all under /kiln/v1', () => {
    assert.ok(operations.length > 10);
    for (const operation of operations) assert.match(operation, /^[A-Z]+ \/kiln\/v1\//);
  });

  it('describes only what the daemon serves', () => {
    for (const operation of operations) {
      const [method, path] = operation.split(' ') as [string, string];
      assert.ok(table.some((route) => route.method === method && route.pattern.test(path)), `${operation} is documented but not served`);
    }
  });

  it('describes everything the daemon serves under /kiln/v1', () => {
    const native = table.filter((each) => each.pattern.source.replaceAll('\\/', '/').startsWith('^/kiln/v1/'));
    assert.ok(native.length >= operations.length);
    for (const route of native) {
      assert.ok(operations.some((operation) => {
        const [method, path] = operation.split(' ') as [string, string];
        return method === route.method && route.pattern.test(path);
      }), `${route.method} ${route.pattern.source} is served but not documented`);
    }
  });
});
