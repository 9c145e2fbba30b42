#!/bin/sh
# Run once by the postgres image on its first start (/docker-entrypoint-initdb.d): one
# database per service, each owned by the advocacy user. Migrations make the tables.
set -eu
for service in deadlines briefings submissions notifier gateway; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE advocacy_$service OWNER \"$POSTGRES_USER\""
done
