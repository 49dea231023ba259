CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `api_keys_user` ON `api_keys` (`user_id`);--> statement-breakpoint
CREATE TABLE `changes` (
	`org_id` text NOT NULL,
	`revision` integer NOT NULL,
	`type` text NOT NULL,
	`at` integer NOT NULL,
	`actor_id` text,
	`user_id` text,
	`scope_key` text,
	`role_id` text,
	`permissions` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`org_id`, `revision`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `changes_org_user` ON `changes` (`org_id`,`user_id`,`revision`);--> statement-breakpoint
CREATE TABLE `grants` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`scope_id` text,
	`permission_key` text,
	`role_id` text,
	`created_at` integer NOT NULL,
	`created_by` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`scope_id`) REFERENCES `scopes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`permission_key`) REFERENCES `permissions`(`org_id`,`key`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "grants_one_target" CHECK(("grants"."permission_key" is null) <> ("grants"."role_id" is null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `grants_scope_perm` ON `grants` (`user_id`,`scope_id`,`permission_key`) WHERE scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_org_perm` ON `grants` (`user_id`,`permission_key`) WHERE scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_scope_role` ON `grants` (`user_id`,`scope_id`,`role_id`) WHERE scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_org_role` ON `grants` (`user_id`,`role_id`) WHERE scope_id is null and role_id is not null;--> statement-breakpoint
CREATE INDEX `grants_org` ON `grants` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `grants_user` ON `grants` (`user_id`,`scope_id`);--> statement-breakpoint
CREATE INDEX `grants_scope` ON `grants` (`scope_id`);--> statement-breakpoint
CREATE INDEX `grants_role` ON `grants` (`role_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner_id` text,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_name_unique` ON `organizations` (`name`);--> statement-breakpoint
CREATE TABLE `permissions` (
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`description` text,
	`level` text NOT NULL,
	`resource_types` text NOT NULL,
	`grantable` integer NOT NULL,
	`built_in` integer NOT NULL,
	PRIMARY KEY(`org_id`, `key`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "permissions_level" CHECK("permissions"."level" in ('ORG','RESOURCE','ANY'))
);
--> statement-breakpoint
CREATE TABLE `role_permissions` (
	`role_id` text NOT NULL,
	`org_id` text NOT NULL,
	`permission_key` text NOT NULL,
	PRIMARY KEY(`role_id`, `permission_key`),
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`org_id`,`permission_key`) REFERENCES `permissions`(`org_id`,`key`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `roles` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`role_type` text NOT NULL,
	`scope_type` text NOT NULL,
	`is_default` integer NOT NULL,
	`discarded_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "roles_name_length" CHECK(length("roles"."name") between 1 and 50)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `roles_org_name_live` ON `roles` (`org_id`,lower("name")) WHERE discarded_at is null;--> statement-breakpoint
CREATE TABLE `scopes` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`type` text NOT NULL,
	`name` text,
	`parent_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `scopes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scopes_org_key` ON `scopes` (`org_id`,`key`);--> statement-breakpoint
CREATE INDEX `scopes_parent` ON `scopes` (`parent_id`);--> statement-breakpoint
CREATE INDEX `scopes_org_type` ON `scopes` (`org_id`,`type`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`external_id` text,
	`first_name` text,
	`last_name` text,
	`date_joined` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_org_email_ci` ON `users` (`org_id`,lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX `users_org_external_id` ON `users` (`org_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `users_org_id` ON `users` (`org_id`,`id`);