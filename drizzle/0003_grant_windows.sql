ALTER TABLE `grants` ADD `starts_at` integer;--> statement-breakpoint
ALTER TABLE `grants` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `grants` ADD `started` integer DEFAULT true NOT NULL;