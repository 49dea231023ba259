PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`group_id` text,
	`scope_id` text,
	`permission_key` text,
	`role_id` text,
	`created_at` integer NOT NULL,
	`created_by` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`scope_id`) REFERENCES `scopes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`,`permission_key`) REFERENCES `permissions`(`org_id`,`key`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "grants_one_target" CHECK(("__new_grants"."permission_key" is null) <> ("__new_grants"."role_id" is null)),
	CONSTRAINT "grants_one_subject" CHECK(("__new_grants"."user_id" is null) <> ("__new_grants"."group_id" is null))
);
--> statement-breakpoint
INSERT INTO `__new_grants`("id", "org_id", "user_id", "group_id", "scope_id", "permission_key", "role_id", "created_at", "created_by") SELECT "id", "org_id", "user_id", "group_id", "scope_id", "permission_key", "role_id", "created_at", "created_by" FROM `grants`;--> statement-breakpoint
DROP TABLE `grants`;--> statement-breakpoint
ALTER TABLE `__new_grants` RENAME TO `grants`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_scope_perm` ON `grants` (`user_id`,`scope_id`,`permission_key`) WHERE scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_org_perm` ON `grants` (`user_id`,`permission_key`) WHERE scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_scope_role` ON `grants` (`user_id`,`scope_id`,`role_id`) WHERE scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_org_role` ON `grants` (`user_id`,`role_id`) WHERE scope_id is null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_scope_perm` ON `grants` (`group_id`,`scope_id`,`permission_key`) WHERE group_id is not null and scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_org_perm` ON `grants` (`group_id`,`permission_key`) WHERE group_id is not null and scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_scope_role` ON `grants` (`group_id`,`scope_id`,`role_id`) WHERE group_id is not null and scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_org_role` ON `grants` (`group_id`,`role_id`) WHERE group_id is not null and scope_id is null and role_id is not null;--> statement-breakpoint
CREATE INDEX `grants_group` ON `grants` (`group_id`,`scope_id`);--> statement-breakpoint
CREATE INDEX `grants_org` ON `grants` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `grants_user` ON `grants` (`user_id`,`scope_id`);--> statement-breakpoint
CREATE INDEX `grants_scope` ON `grants` (`scope_id`);--> statement-breakpoint
CREATE INDEX `grants_role` ON `grants` (`role_id`);