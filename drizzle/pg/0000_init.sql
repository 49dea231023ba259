CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"org_id" text NOT NULL,
	"revision" bigint NOT NULL,
	"type" text NOT NULL,
	"at" bigint NOT NULL,
	"actor_id" text,
	"user_id" text,
	"scope_key" text,
	"role_id" text,
	"permissions" jsonb NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "changes_org_id_revision_pk" PRIMARY KEY("org_id","revision")
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"user_id" text NOT NULL,
	"scope_id" text,
	"permission_key" text,
	"role_id" text,
	"created_at" bigint NOT NULL,
	"created_by" text,
	CONSTRAINT "grants_one_target" CHECK (("grants"."permission_key" is null) <> ("grants"."role_id" is null))
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_id" text,
	"revision" bigint DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "organizations_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "permissions" (
	"org_id" text NOT NULL,
	"key" text NOT NULL,
	"description" text,
	"level" text NOT NULL,
	"resource_types" jsonb NOT NULL,
	"grantable" boolean NOT NULL,
	"built_in" boolean NOT NULL,
	CONSTRAINT "permissions_org_id_key_pk" PRIMARY KEY("org_id","key"),
	CONSTRAINT "permissions_level" CHECK ("permissions"."level" in ('ORG','RESOURCE','ANY'))
);
--> statement-breakpoint
CREATE TABLE "role_permissions" (
	"role_id" text NOT NULL,
	"org_id" text NOT NULL,
	"permission_key" text NOT NULL,
	CONSTRAINT "role_permissions_role_id_permission_key_pk" PRIMARY KEY("role_id","permission_key")
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"role_type" text NOT NULL,
	"scope_type" text NOT NULL,
	"is_default" boolean NOT NULL,
	"discarded_at" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "roles_name_length" CHECK (length("roles"."name") between 1 and 50)
);
--> statement-breakpoint
CREATE TABLE "scopes" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"key" text NOT NULL,
	"type" text NOT NULL,
	"name" text,
	"parent_id" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"email" text NOT NULL,
	"external_id" text,
	"first_name" text,
	"last_name" text,
	"date_joined" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "changes" ADD CONSTRAINT "changes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_scope_id_scopes_id_fk" FOREIGN KEY ("scope_id") REFERENCES "public"."scopes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_permission_fk" FOREIGN KEY ("org_id","permission_key") REFERENCES "public"."permissions"("org_id","key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permissions" ADD CONSTRAINT "permissions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_permissions" ADD CONSTRAINT "role_permissions_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_permissions" ADD CONSTRAINT "role_permissions_permission_fk" FOREIGN KEY ("org_id","permission_key") REFERENCES "public"."permissions"("org_id","key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roles" ADD CONSTRAINT "roles_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scopes" ADD CONSTRAINT "scopes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scopes" ADD CONSTRAINT "scopes_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."scopes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_user" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "changes_org_user" ON "changes" USING btree ("org_id","user_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_scope_perm" ON "grants" USING btree ("user_id","scope_id","permission_key") WHERE scope_id is not null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_org_perm" ON "grants" USING btree ("user_id","permission_key") WHERE scope_id is null and permission_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_scope_role" ON "grants" USING btree ("user_id","scope_id","role_id") WHERE scope_id is not null and role_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_org_role" ON "grants" USING btree ("user_id","role_id") WHERE scope_id is null and role_id is not null;--> statement-breakpoint
CREATE INDEX "grants_org" ON "grants" USING btree ("org_id","id");--> statement-breakpoint
CREATE INDEX "grants_user" ON "grants" USING btree ("user_id","scope_id");--> statement-breakpoint
CREATE INDEX "grants_scope" ON "grants" USING btree ("scope_id");--> statement-breakpoint
CREATE INDEX "grants_role" ON "grants" USING btree ("role_id");--> statement-breakpoint
CREATE UNIQUE INDEX "roles_org_name_live" ON "roles" USING btree ("org_id",lower("name")) WHERE discarded_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "scopes_org_key" ON "scopes" USING btree ("org_id","key");--> statement-breakpoint
CREATE INDEX "scopes_parent" ON "scopes" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "scopes_org_type" ON "scopes" USING btree ("org_id","type");--> statement-breakpoint
CREATE UNIQUE INDEX "users_org_email_ci" ON "users" USING btree ("org_id",lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_org_external_id_ci" ON "users" USING btree ("org_id",lower("external_id"));--> statement-breakpoint
CREATE INDEX "users_org_id" ON "users" USING btree ("org_id","id");