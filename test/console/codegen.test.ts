import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, outputFile } from '../../console/codegen.js';

describe("the console's typed documents", () => {
  it('are generated from the current schema.graphql (run npm run console:codegen when this fails)', async () => {
    expect(readFileSync(outputFile, 'utf8')).toBe(await generate());
  });
});
