#!/bin/sh
# Run once by the postgres image on an empty data directory: a database `tessera_<name>` owned by
# a role `<name>` for every service that has one, as the dev runner makes them on a laptop. Each
# role reaches only its own database.
set -eu
for service in identity catalog cart inventory orders payments notifications; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v database="tessera_$service" -v password="$TESSERA_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
done
