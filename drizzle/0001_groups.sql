CREATE TABLE `group_members` (
	`org_id` text NOT NULL,
	`group_id` text NOT NULL,
	`member_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text,
	PRIMARY KEY(`group_id`, `member_id`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_member` ON `group_members` (`org_id`,`member_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`name` text,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_org_key` ON `groups` (`org_id`,`key`);--> statement-breakpoint
CREATE INDEX `groups_org_id` ON `groups` (`org_id`,`id`);--> statement-breakpoint
ALTER TABLE `changes` ADD `group_id` text;--> statement-breakpoint
ALTER TABLE `changes` ADD `member_group_id` text;--> statement-breakpoint
CREATE INDEX `changes_org_group` ON `changes` (`org_id`,`group_id`,`revision`);--> statement-breakpoint
CREATE INDEX `changes_org_member_group` ON `changes` (`org_id`,`member_group_id`,`revision`);--> statement-breakpoint
ALTER TABLE `grants` ADD `group_id` text REFERENCES groups(id);--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_scope_perm` ON `grants` (`group_id`,`scope_id`,`permission_key`) WHERE group_id is not null and scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_org_perm` ON `grants` (`group_id`,`permission_key`) WHERE group_id is not null and scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_scope_role` ON `grants` (`group_id`,`scope_id`,`role_id`) WHERE group_id is not null and scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `grants_group_org_role` ON `grants` (`group_id`,`role_id`) WHERE group_id is not null and scope_id is null and role_id is not null;--> statement-breakpoint
CREATE INDEX `grants_group` ON `grants` (`group_id`,`scope_id`);