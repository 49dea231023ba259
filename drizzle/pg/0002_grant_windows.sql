ALTER TABLE "grants" ADD COLUMN "starts_at" bigint;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "expires_at" bigint;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "started" boolean DEFAULT true NOT NULL;