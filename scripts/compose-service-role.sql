-- Run once by the postgis image when it creates the cluster (docker-entrypoint-initdb.d): the
-- service's own login role, no superuser and owner of nothing. Migration 0003 grants it what the
-- service needs (README: database roles). Change the password together with compose.yaml.
CREATE ROLE zoning_service LOGIN PASSWORD 'zoning_service' NOSUPERUSER NOCREATEDB NOCREATEROLE;
