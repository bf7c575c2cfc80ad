-- Per-site endpoints (contract section 9) and same-origin mode (section 10).
--
-- endpoint_key: every site has one (new sites by the column default, existing ones by
-- the same default when the column is added), unique platform-wide; the edge derives
-- the site's paths from it. A rotation keeps the old key in previous_endpoint_key
-- (the edge serves both) from endpoint_rotated_at until it is finished: by an explicit
-- call or by nightly-drift-check after a grace period.
--
-- path_prefix (chosen by the customer) and forward_secret (generated) go together: the
-- site's own reverse proxy forwards {site host}{path_prefix}/... to the edge with the secret.
alter table public.sites
  add column endpoint_key text not null default public.new_url_safe_token(24)
    check (endpoint_key ~ '^[A-Za-z0-9_-]{16,128}$'),
  add column previous_endpoint_key text
    check (previous_endpoint_key ~ '^[A-Za-z0-9_-]{16,128}$' and previous_endpoint_key <> endpoint_key),
  add column endpoint_rotated_at timestamptz,
  add column path_prefix text check (path_prefix ~ '^/[A-Za-z0-9_-]{1,32}$'),
  -- (PostgreSQL regexes count to 255 at most: the length is checked apart)
  add column forward_secret text check (forward_secret ~ '^[A-Za-z0-9_-]+$' and length(forward_secret) between 32 and 256),
  add constraint sites_rotation_check check ((previous_endpoint_key is null) = (endpoint_rotated_at is null)),
  add constraint sites_same_origin_check check ((path_prefix is null) = (forward_secret is null));

create unique index sites_endpoint_key_idx on public.sites (endpoint_key);
create index sites_rotation_idx on public.sites (endpoint_rotated_at) where endpoint_rotated_at is not null;

-- Every site's EdgeConfig now carries its endpoint_key: a new version, queued for the edge.
update public.sgtm_containers set config_version = config_version + 1 where public.edge_config_live(status);
