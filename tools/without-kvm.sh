#!/usr/bin/env bash
# Runs a command as if this machine's /dev/kvm were present but unusable: in a private mount namespace, /dev/kvm is
# /dev/null (a character device that answers no KVM ioctl). Machines of this project's kind come with and without a
# usable /dev/kvm; the tests must pass on both. Needs root (unshare -m). Example:
#   tools/without-kvm.sh env CI=true bash .ci/run
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 64; }
inner='
set -euo pipefail
mount --make-rprivate /
if [ -e /dev/kvm ]; then
  mount --bind /dev/null /dev/kvm
else
  # No /dev/kvm to bind over: lay a copy of /dev with one extra node over it, in this namespace only.
  top=$(mktemp -d)
  mount -t tmpfs tmpfs "$top"
  mkdir "$top/upper" "$top/work" "$top/dev"
  mknod -m 0666 "$top/upper/kvm" c 1 3
  mount -t overlay overlay -o "lowerdir=/dev,upperdir=$top/upper,workdir=$top/work" "$top/dev"
  for sub in pts shm mqueue hugepages; do
    if mountpoint -q "/dev/$sub"; then mount --rbind "/dev/$sub" "$top/dev/$sub"; fi
  done
  mount --move "$top/dev" /dev
fi
exec "$@"
'
exec unshare -m bash -c "$inner" without-kvm "$@"
