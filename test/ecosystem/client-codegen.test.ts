import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, generateReact, outputFile, reactOutputFile } from '../../scripts/client-codegen.js';

describe('grantql/client types', () => {
  it('are generated from the current schema.graphql and src/client/operations.graphql (run npm run client:codegen when this fails)', async () => {
    expect(readFileSync(outputFile, 'utf8')).toBe(await generate());
  });

  it("grantql/react's are generated from the current schema.graphql and src/react/operations.graphql (npm run client:codegen)", async () => {
    expect(readFileSync(reactOutputFile, 'utf8')).toBe(await generateReact());
  });
});
