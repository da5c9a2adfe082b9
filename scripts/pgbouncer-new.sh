#!/usr/bin/env bash
# Provision PgBouncer >= 1.21 (Debian 13's package, 1.24) next to Debian 12's 1.18, for the
# tests of `max_prepared_statements` (tests/helpers/pgbouncer.py). Debian 12 has no such
# version, so the package and the two libraries it needs newer than Debian 12's (libc6,
# libevent) are downloaded with apt-get from Debian's archive into a private apt state, unpacked
# into /opt/repo-pgbouncer (nothing is installed system-wide), and run through Debian 13's own
# dynamic loader by the wrapper /opt/repo-pgbouncer/bin/pgbouncer.
# Usage: scripts/pgbouncer-new.sh [PREFIX]   (exit 0 with a message when it cannot be done)
set -euo pipefail
prefix="${1:-/opt/repo-pgbouncer}"
if [ -x "$prefix/bin/pgbouncer" ] && "$prefix/bin/pgbouncer" --version >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null || { echo "no apt-get: PgBouncer >= 1.21 not provisioned"; exit 0; }
[ "$(dpkg --print-architecture)" = amd64 ] || { echo "not amd64: PgBouncer >= 1.21 not provisioned"; exit 0; }
state="$(mktemp -d)"
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/debs" "$prefix/root" "$prefix/bin"
# The machine's own Debian archive (from its apt sources), asked for the next release's suite.
archive="$(awk '/^URIs:/ && !/security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
[ -n "$archive" ] || archive="$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
[ -n "$archive" ] || { echo "no Debian archive in the apt sources: PgBouncer >= 1.21 not provisioned"; exit 0; }
echo "deb $archive trixie main" > "$state/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$state/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$state/lists" -o "APT::Sandbox::User=root" -q)
if ! apt-get "${apt_opts[@]}" update >/dev/null 2>&1; then
  echo "Debian 13's package lists are unreachable: PgBouncer >= 1.21 not provisioned"; exit 0
fi
(cd "$state/debs" && apt-get "${apt_opts[@]}" download pgbouncer/trixie libc6/trixie \
  libevent-2.1-7t64/trixie >/dev/null)
for deb in "$state"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix/root"; done
lib="$prefix/root/usr/lib/x86_64-linux-gnu"
cat > "$prefix/bin/pgbouncer" <<WRAP
#!/bin/sh
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$prefix/root/usr/sbin/pgbouncer" "\$@"
WRAP
chmod 755 "$prefix/bin/pgbouncer"
chmod -R a+rX "$prefix"
"$prefix/bin/pgbouncer" --version | head -1
