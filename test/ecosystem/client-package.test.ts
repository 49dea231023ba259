import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installScratch, packClient, ROOT, sh } from '../helpers/client-package.js';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const DECOYS = ['data/owner.key', 'data/grantql.db', '.env', 'test/artifacts/x.png', 'bench/.cache/x', 'node_modules.key'];

/** What a user's script does with the installed package: plain Node, no TypeScript, no loader. */
const USE_ESM = `
import { createGrantqlClient, GrantqlError } from 'grantql/client';
const { GQL_URL: url, OWNER_KEY, ANA_KEY, AFTER } = process.env;
const owner = createGrantqlClient({ url, apiKey: OWNER_KEY });
const ana = createGrantqlClient({ url, apiKey: ANA_KEY });
const code = (p) => p.then((v) => 'answered ' + v, (e) => (e instanceof GrantqlError ? e.code : 'not a GrantqlError: ' + e));
const out = {
  anaOnD1: await owner.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' }),
  anaOnD2: await owner.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#2' }),
  anaOnD1Herself: await ana.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' }),
  anaAboutBob: await code(ana.can({ user: 'bob@example.com', permission: 'P_VIEW', scope: 'D#1' })),
  badKey: await code(createGrantqlClient({ url, apiKey: 'nonsense' }).can({ user: 'ana@example.com', permission: 'P_VIEW' })),
  unknownUser: await code(owner.can({ user: 'nobody@example.com', permission: 'P_VIEW' })),
};
// Over WebSocket: graphql-ws, and on Node 20 the ws package, both resolved from the install.
const watch = owner.watch({ after: AFTER });
for await (const change of watch) {
  out.change = [change.type, change.scopeKey];
  break;
}
await watch.close();
console.log(JSON.stringify(out));
`;

const USE_CJS = `const { createGrantqlClient, GrantqlError } = require('grantql/client');
console.log(typeof createGrantqlClient, new GrantqlError('m', 'NETWORK') instanceof Error);`;

/** Compiles only if the package's types are there and precise (an `any` would leave the expect-errors unused). */
const USE_TS = `import { createGrantqlClient, GrantqlError, type CheckResult, type PermissionChange } from 'grantql/client';
const c = createGrantqlClient({ url: 'http://127.0.0.1:1/graphql', apiKey: 'k' });
export async function f(): Promise<boolean> {
  const results: CheckResult[] = await c.check([{ user: 'a', permission: 'P' }]);
  const reason: string = results[0]!.reason;
  // @ts-expect-error can answers a boolean
  const wrong: string = await c.can({ user: 'a', permission: 'P' });
  // @ts-expect-error user is required
  await c.can({ permission: 'P' });
  const w = c.watch({ onChange: (change: PermissionChange) => void change.revision.toFixed() });
  await w.close();
  return reason.length > 0 && wrong !== '' && new GrantqlError('m', 'NETWORK').code === 'NETWORK';
}
`;

/** grantql/react in an app that has React (its optional peer): plain Node loads it, and it renders (server side, so the first answer: loading). */
const USE_REACT = `
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import WebSocket from 'ws';
import { GrantqlProvider, GrantqlError, useCan } from 'grantql/react';
import { GrantqlError as ClientError } from 'grantql/client';
function Button() {
  const { allowed, loading } = useCan('P_VIEW', 'D#1');
  return createElement('button', { disabled: !allowed }, loading ? 'loading' : 'ready');
}
const html = renderToString(createElement(GrantqlProvider, { url: 'http://127.0.0.1:1/graphql', apiKey: 'k', webSocketImpl: WebSocket }, createElement(Button)));
console.log(JSON.stringify({ html, sameError: GrantqlError === ClientError }));
`;

/** The hooks' types, precise: the expect-errors are used only if the types are not any. */
const USE_REACT_TS = `import { GrantqlProvider, useCan, useChanges, type PermissionChangeItem } from 'grantql/react';
export function Button(): React.JSX.Element {
  const { allowed, error } = useCan('P_EDIT', 'D#1');
  const { changes, cursor } = useChanges({ types: ['GRANT_ADDED'] }, { limit: 10 });
  const last: PermissionChangeItem | undefined = changes.at(-1);
  // @ts-expect-error allowed is a boolean (or undefined while loading)
  const wrong: string = allowed;
  // @ts-expect-error not a change type
  useChanges({ types: ['NOPE'] });
  return <GrantqlProvider url="u" apiKey="k">{String(allowed) + String(error) + String(last?.revision) + String(cursor) + wrong}</GrantqlProvider>;
}
`;

const tsconfig = (moduleResolution: 'NodeNext' | 'Bundler', files = ['use.ts']) =>
  JSON.stringify({
    compilerOptions: { target: 'ES2022', module: moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext', moduleResolution, lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: false, jsx: 'react-jsx' },
    files,
  });

/** The app's own React (the repository's, linked): the package does not bring it. */
function linkReact(app: string) {
  mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
  for (const name of ['react', 'react-dom', 'scheduler', '@types/react', 'csstype']) symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name), 'dir');
}

let dir: string;
let app: string;
let packed: string[];
let s: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grantql-pack-'));
  const [{ tarball, files }, server] = await Promise.all([packClient(dir, DECOYS), startServer()]);
  packed = files;
  s = server;
  app = await installScratch(dir, tarball);
}, 90_000);
afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('grantql/client as a packed package', () => {
  it('ships the built client with its types, and nothing secret or local', () => {
    for (const f of ['index.js', 'index.d.ts', 'watch.js', 'watch.d.ts', 'http.js', 'types.js', 'generated.js']) expect(packed).toContain(`dist/client/${f}`);
    for (const f of ['index.js', 'index.d.ts', 'provider.js', 'use-effective.js', 'use-changes.js', 'generated.js']) expect(packed).toContain(`dist/react/${f}`);
    expect(packed).toContain('package.json');
    expect(packed).toContain('LICENSE');
    for (const decoy of DECOYS) expect(packed).not.toContain(decoy);
    expect(packed.filter((f) => /(^|\/)(data|test|bench|node_modules)\/|\.(key|db)$|(^|\/)\.env/.test(f))).toEqual([]);
  });

  it('is imported from plain Node (ESM) and answers can, refusals and a watch against a real server', async () => {
    ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
    for (const key of ['D#1', 'D#2']) ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: key }));
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com', [{ scope: 'D#1', permissions: ['P_VIEW'] }]);
    await userWithKey(s, s.ownerKey, 'bob@example.com');
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "D#3", type: "property" }) { revision } }'));
    const edges = ok(await s.gql(s.ownerKey, '{ changes(first: 500) { edges { node { cursor } } } }')).changes.edges as Array<{ node: { cursor: string } }>;
    const beforeLast = edges.at(-2)!.node.cursor;

    writeFileSync(join(app, 'use.mjs'), USE_ESM);
    const out = JSON.parse(await sh(process.execPath, ['use.mjs'], app, { GQL_URL: s.url, OWNER_KEY: s.ownerKey, ANA_KEY: ana.key, AFTER: beforeLast }));
    expect(out).toEqual({
      anaOnD1: true,
      anaOnD2: false,
      anaOnD1Herself: true,
      anaAboutBob: 'FORBIDDEN',
      badKey: 'UNAUTHENTICATED',
      unknownUser: 'NOT_FOUND',
      change: ['SCOPE_CREATED', 'D#3'],
    });
  });

  it('is required from CommonJS (Node 20.19+ loads the ES module)', async () => {
    writeFileSync(join(app, 'use.cjs'), USE_CJS);
    expect((await sh(process.execPath, ['--no-warnings', 'use.cjs'], app)).trim()).toBe('function true');
  });

  it("resolves its types with TypeScript's NodeNext and Bundler resolution, libraries checked", async () => {
    writeFileSync(join(app, 'use.ts'), USE_TS);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    for (const mode of ['NodeNext', 'Bundler'] as const) {
      writeFileSync(join(app, `tsconfig.${mode}.json`), tsconfig(mode));
      await sh(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], app);
    }
  });

  it('grantql/react loads in plain Node next to React, sharing grantql/client (one GrantqlError), and renders', async () => {
    linkReact(app);
    writeFileSync(join(app, 'use-react.mjs'), USE_REACT);
    const out = JSON.parse(await sh(process.execPath, ['use-react.mjs'], app));
    expect(out).toEqual({ html: '<button disabled="">loading</button>', sameError: true });
  });

  it("grantql/react's types resolve with NodeNext and Bundler, React's types checked", async () => {
    writeFileSync(join(app, 'use-react.tsx'), USE_REACT_TS);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    for (const mode of ['NodeNext', 'Bundler'] as const) {
      writeFileSync(join(app, `tsconfig.react-${mode}.json`), tsconfig(mode, ['use-react.tsx']));
      await sh(process.execPath, [tsc, '-p', `tsconfig.react-${mode}.json`], app);
    }
  });

  it('bundles for the browser (vite) without Node built-ins or the ws package', async () => {
    writeFileSync(join(app, 'entry.js'), "import { createGrantqlClient } from 'grantql/client';\nwindow.grantql = createGrantqlClient;\n");
    const result = await build({ root: app, configFile: false, logLevel: 'silent', build: { write: false, minify: false, lib: { entry: join(app, 'entry.js'), formats: ['es'], fileName: 'bundle' } } });
    const code = [result].flat().flatMap((r) => ('output' in r ? r.output : [])).map((c) => ('code' in c ? c.code : '')).join('\n');
    expect(code).toContain('createGrantqlClient');
    expect(code).toContain('graphql-transport-ws'); // graphql-ws's client is in the bundle
    expect(code).not.toMatch(/from ["']node:|require\(["']ws["']\)/);
  });

  it('grantql/react bundles for the browser too, React left to the app', async () => {
    writeFileSync(join(app, 'entry-react.js'), "import { GrantqlProvider, useCan } from 'grantql/react';\nwindow.grantql = [GrantqlProvider, useCan];\n");
    const lib = { entry: join(app, 'entry-react.js'), formats: ['es' as const], fileName: 'bundle-react' };
    const result = await build({ root: app, configFile: false, logLevel: 'silent', build: { write: false, minify: false, lib, rollupOptions: { external: [/^react(\/|$)/] } } });
    const code = [result].flat().flatMap((r) => ('output' in r ? r.output : [])).map((c) => ('code' in c ? c.code : '')).join('\n');
    expect(code).toContain('effectivePermissionsChanged');
    expect(code).toContain('graphql-transport-ws');
    expect(code).toMatch(/from ["']react["']/);
    expect(code).not.toMatch(/from ["']node:|require\(["']ws["']\)/);
  });
});
