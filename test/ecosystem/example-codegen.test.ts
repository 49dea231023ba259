import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, outputFile } from '../../examples/web/codegen.js';

describe('examples/web typed documents', () => {
  it('are generated from the current schema.graphql (run npm run example:codegen when this fails)', async () => {
    expect(readFileSync(outputFile, 'utf8')).toBe(await generate());
  });
});
