/** Generates src/client/generated.ts from schema.graphql and src/client/operations.graphql: npm run client:codegen. */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, typedDocuments } from './typed-documents.js';

export const outputFile = join(ROOT, 'src/client/generated.ts');

export function generate(): Promise<string> {
  return typedDocuments(join(ROOT, 'src/client/operations.graphql'), outputFile, 'scripts/client-codegen.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(outputFile, await generate());
  console.log(`wrote ${relative(process.cwd(), outputFile)}`);
}
