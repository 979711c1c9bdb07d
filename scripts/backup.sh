#!/usr/bin/env bash
# Encrypted backup: the database (pg_dump custom format) and the private media folder, each
# streamed straight into gpg, encrypted to the city's OpenPGP public key. The server holds only
# the public key: it can write backups, never read them; the city keeps the private key offline.
#
#   scripts/backup.sh DIR     writes DIR/entaix-YYYYMMDDTHHMMSSZ/{database.dump.gpg,media.tar.gpg,SHA256SUMS}
#                             and deletes the backups in DIR older than BACKUP_RETENTION_DAYS.
# Environment: DATABASE_URL, MEDIA_ROOT (default: media), BACKUP_PUBLIC_KEY (the city's public key
# file), BACKUP_RETENTION_DAYS (default 35). With docker compose, PG_DUMP and MEDIA_TAR replace
# the two readers (README, Backups).
set -euo pipefail

out_root=${1:?usage: scripts/backup.sh DIR}
: "${BACKUP_PUBLIC_KEY:?set BACKUP_PUBLIC_KEY to the public key file of the city}"
[ -r "$BACKUP_PUBLIC_KEY" ] || { echo "backup: cannot read BACKUP_PUBLIC_KEY" >&2; exit 2; }
retention=${BACKUP_RETENTION_DAYS:-35}
media=${MEDIA_ROOT:-media}
dump=${PG_DUMP:-pg_dump --format=custom --no-owner --dbname=${DATABASE_URL:?set DATABASE_URL}}
media_tar=${MEDIA_TAR:-tar -C $media -cf - private}

umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$out_root/entaix-$stamp"
mkdir -p "$target"
trap 'rm -rf "$target"' ERR

encrypt() {
  gpg --batch --quiet --no-tty --trust-model always --recipient-file "$BACKUP_PUBLIC_KEY" \
    --encrypt --output "$1"
}

$dump | encrypt "$target/database.dump.gpg"
if [ -n "${MEDIA_TAR:-}" ] || [ -d "$media/private" ]; then
  $media_tar | encrypt "$target/media.tar.gpg"
else
  tar -cf - --files-from /dev/null | encrypt "$target/media.tar.gpg"
fi
(cd "$target" && sha256sum database.dump.gpg media.tar.gpg > SHA256SUMS)
trap - ERR
echo "backup: $target"

# Retention: whole backups older than the limit are deleted (see README: what a purge means for
# backups).
find "$out_root" -mindepth 1 -maxdepth 1 -type d -name 'entaix-*' -mtime "+$retention" \
  -exec rm -rf {} + -exec echo "backup: deleted {} (older than $retention days)" \;
