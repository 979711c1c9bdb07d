#!/usr/bin/env bash
# Restores a backup written by scripts/backup.sh into an EMPTY database and media folder.
#
#   scripts/restore.sh BACKUP_DIR
# Environment: DATABASE_URL (the new, empty database), MEDIA_ROOT (default: media), and the
# city's private key in gpg's keyring (GNUPGHOME), which only the city holds.
# After a restore, run `python manage.py retention_purge --apply` before opening the service: a
# backup may still hold people purged since it was taken (README, Backups).
set -euo pipefail

source_dir=${1:?usage: scripts/restore.sh BACKUP_DIR}
: "${DATABASE_URL:?set DATABASE_URL to the new, empty database}"
media=${MEDIA_ROOT:-media}

(cd "$source_dir" && sha256sum --check --quiet SHA256SUMS)
tables=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != 0 ]; then
  echo "restore: the target database is not empty ($tables tables): refusing." >&2
  exit 2
fi

decrypt() { gpg --batch --quiet --no-tty --decrypt "$1"; }

# One transaction: a missing key or a broken dump leaves the database empty.
decrypt "$source_dir/database.dump.gpg" \
  | pg_restore --no-owner --exit-on-error --single-transaction --dbname="$DATABASE_URL"
umask 077
mkdir -p "$media"
decrypt "$source_dir/media.tar.gpg" | tar -C "$media" -xf -
echo "restore: done; now run: python manage.py retention_purge --apply"
