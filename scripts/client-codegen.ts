/**
 * Generates src/client/generated.ts and src/react/generated.ts from schema.graphql and each
 * one's operations.graphql: npm run client:codegen.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, typedDocuments } from './typed-documents.js';

export const outputFile = join(ROOT, 'src/client/generated.ts');
export const reactOutputFile = join(ROOT, 'src/react/generated.ts');

export function generate(): Promise<string> {
  return typedDocuments(join(ROOT, 'src/client/operations.graphql'), outputFile, 'scripts/client-codegen.ts');
}

/** grantql/react's documents (the hooks' subscriptions and queries). */
export function generateReact(): Promise<string> {
  return typedDocuments(join(ROOT, 'src/react/operations.graphql'), reactOutputFile, 'scripts/client-codegen.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, text] of [
    [outputFile, await generate()],
    [reactOutputFile, await generateReact()],
  ] as const) {
    writeFileSync(file, text);
    console.log(`wrote ${relative(process.cwd(), file)}`);
  }
}
