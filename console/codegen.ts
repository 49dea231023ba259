/**
 * Generates src/generated/graphql.ts (typed documents for the console's operations) from
 * the server's printed schema: npm run console:codegen (after npm run schema:print).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { typedDocuments } from '../scripts/typed-documents.js';

const here = dirname(fileURLToPath(import.meta.url));
const documentsFile = join(here, 'src/operations.graphql');
export const outputFile = join(here, 'src/generated/graphql.ts');

/** The generated module's text (also used by the test that keeps it in sync). */
export function generate(): Promise<string> {
  return typedDocuments(documentsFile, outputFile, 'console/codegen.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(outputFile, await generate());
  console.log(`wrote ${relative(process.cwd(), outputFile)}`);
}
