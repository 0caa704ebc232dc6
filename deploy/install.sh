#!/bin/bash
# Build and install the module into /opt/ucloud-im, with the sudoers rule and the runtime directories.
# Idempotent. Needs the .NET SDK (dotnet) on PATH; installs clang for the Native AOT user instance.
#   PREFIX=/opt/ucloud-im   USER_INSTANCE_AOT=true|false
set -euo pipefail
LOG_TAG=install
. "$(dirname "$0")/lib/common.sh"
need_root
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/ucloud-im}
AOT=${USER_INSTANCE_AOT:-true}
command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet on PATH)"
apt_install sudo clang zlib1g-dev curl
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
id -u ucloud >/dev/null 2>&1 || die "run deploy/accounts.sh first (service account ucloud is missing)"

stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
log "publishing (user instance AOT=$AOT)"
dotnet publish "$ROOT/src/UserInstance/UserInstance.csproj" -c Release -r linux-x64 -p:UserInstanceAot="$AOT" \
  $( [ "$AOT" = true ] || echo "--self-contained false" ) -o "$stage/user" --nologo -v q -clp:ErrorsOnly
for p in Server Gateway Cli Sandbox; do
  dotnet publish "$ROOT/src/$p/$p.csproj" -c Release -o "$stage/$p" --nologo -v q -clp:ErrorsOnly
done

install -d -o root -g root -m 0755 "$PREFIX" "$PREFIX/bin"
for p in Server Gateway Cli Sandbox; do
  dest="$PREFIX/$(echo "$p" | tr 'A-Z' 'a-z')"
  rm -rf "$dest.new"; cp -a "$stage/$p" "$dest.new"; chown -R root:root "$dest.new"; chmod -R go-w "$dest.new"
  rm -rf "$dest"; mv "$dest.new" "$dest"
done
if [ "$AOT" = true ]; then
  install -o root -g root -m 0755 "$stage/user/ucloud-im-user" "$PREFIX/bin/ucloud-im-user"
else
  rm -rf "$PREFIX/user"; cp -a "$stage/user" "$PREFIX/user"; chown -R root:root "$PREFIX/user"; chmod -R go-w "$PREFIX/user"
  ln -sfn "$PREFIX/user/ucloud-im-user" "$PREFIX/bin/ucloud-im-user"
fi
ln -sfn "$PREFIX/cli/ucloud-im" /usr/local/bin/ucloud-im
ln -sfn "$PREFIX/sandbox/ucloud-sandbox" /usr/local/bin/ucloud-sandbox

# The privileged step: one binary, one rule, checked before it is put in place.
tmp=$(mktemp); sed "s#/opt/ucloud-im/bin/ucloud-im-user#$PREFIX/bin/ucloud-im-user#" "$ROOT/deploy/sudoers/ucloud-im" > "$tmp"
visudo -c -q -f "$tmp" || die "the sudoers rule does not parse"
install -o root -g root -m 0440 "$tmp" /etc/sudoers.d/ucloud-im; rm -f "$tmp"

install -d -o ucloud -g ucloud -m 0755 /run/ucloud-im
install -d -o ucloud -g ucloud -m 0750 /var/log/ucloud-im /var/lib/ucloud-im
install -d -o root -g root -m 0755 /etc/ucloud-im
log "installed into $PREFIX; sudoers rule in /etc/sudoers.d/ucloud-im"
