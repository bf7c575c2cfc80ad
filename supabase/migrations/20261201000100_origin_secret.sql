-- origin_secret (contract section 8): a secret per container that the edge sends to the
-- origin as X-Origin-Auth and the provisioner gives the origin's reverse proxy, so the
-- origin can refuse whatever does not come through the edge. Generated here, for new
-- containers by the column default and for every existing one by the same default
-- (a volatile default is evaluated per row when the column is added).

-- base64url of p_bytes random bytes. gen_random_uuid draws from pg_strong_random (the
-- OS or OpenSSL CSPRNG); a v4 UUID carries 122 random bits in 16 bytes, so 24 bytes hold
-- at least 180 random bits and 32 bytes at least 240.
create function public.new_url_safe_token(p_bytes integer) returns text
  language sql volatile
  set search_path = ''
  as $$
    select rtrim(translate(encode(substring(string_agg(uuid_send(gen_random_uuid()), ''::bytea) from 1 for p_bytes),
                                  'base64'), E'+/\n', '-_'), '=')
    from generate_series(1, (p_bytes + 15) / 16)
  $$;
revoke all on function public.new_url_safe_token(integer) from public, anon, authenticated;
grant execute on function public.new_url_safe_token(integer) to service_role;

alter table public.sgtm_containers
  add column origin_secret text not null default public.new_url_safe_token(32)
    check (origin_secret ~ '^[A-Za-z0-9_-]+$' and length(origin_secret) between 32 and 256);

-- The secret is part of the EdgeConfig: a change is a new version (next to the
-- fields sgtm_containers_before_update watches; a separate trigger so that function
-- stays as it is). Triggers fire by name: this one runs after it and bumps only
-- when it did not already.
create function public.sgtm_containers_secret_bump() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if new.config_version = old.config_version and new.origin_secret is distinct from old.origin_secret then
      new.config_version := old.config_version + 1;
    end if;
    return new;
  end
  $$;

create trigger sgtm_containers_secret_bump
  before update on public.sgtm_containers
  for each row execute function public.sgtm_containers_secret_bump();

-- Live containers' EdgeConfig now carries the secret: a new version, queued for the edge.
update public.sgtm_containers set config_version = config_version + 1 where public.edge_config_live(status);
