import { defineConfig } from 'drizzle-kit';

// PostgreSQL store's migrations (GRANTQL_DATABASE_URL); drizzle.config.ts is SQLite's.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg-schema.ts',
  out: './drizzle/pg',
});
