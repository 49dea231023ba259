CREATE TABLE "group_members" (
	"org_id" text NOT NULL,
	"group_id" text NOT NULL,
	"member_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"created_by" text,
	CONSTRAINT "group_members_group_id_member_id_pk" PRIMARY KEY("group_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"key" text NOT NULL,
	"name" text,
	"description" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "grants" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "changes" ADD COLUMN "group_id" text;--> statement-breakpoint
ALTER TABLE "changes" ADD COLUMN "member_group_id" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "group_id" text;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "group_members_member" ON "group_members" USING btree ("org_id","member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_org_key" ON "groups" USING btree ("org_id","key");--> statement-breakpoint
CREATE INDEX "groups_org_id" ON "groups" USING btree ("org_id","id");--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "changes_org_group" ON "changes" USING btree ("org_id","group_id","revision");--> statement-breakpoint
CREATE INDEX "changes_org_member_group" ON "changes" USING btree ("org_id","member_group_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_group_scope_perm" ON "grants" USING btree ("group_id","scope_id","permission_key") WHERE group_id is not null and scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_group_org_perm" ON "grants" USING btree ("group_id","permission_key") WHERE group_id is not null and scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_group_scope_role" ON "grants" USING btree ("group_id","scope_id","role_id") WHERE group_id is not null and scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_group_org_role" ON "grants" USING btree ("group_id","role_id") WHERE group_id is not null and scope_id is null and role_id is not null;--> statement-breakpoint
CREATE INDEX "grants_group" ON "grants" USING btree ("group_id","scope_id");--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_one_subject" CHECK (("grants"."user_id" is null) <> ("grants"."group_id" is null));