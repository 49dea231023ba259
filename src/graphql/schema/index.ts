import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from '../builder.js';
import './api-key.js';
import './authz.js';
import './change.js';
import './grant.js';
import './group.js';
import './organization.js';
import './permission.js';
import './role.js';
import './scope.js';
import './user.js';

let schema: GraphQLSchema | null = null;

/** The schema, built once. */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL as written to schema.graphql (sorted, so diffs stay small). */
export function printSdl(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}
