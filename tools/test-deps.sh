#!/usr/bin/env bash
# Installs what the tests of ProxClmc.Guard need when it is missing, on Debian: OpenSSH's server for the SSH tests,
# systemd for the journald and unit-file tests, passwd and util-linux for the tests that act as a second user,
# QEMU (qemu-system-x86) for the facts tests against this machine's KVM, chromium for the HTML page's tests (headless),
# prometheus for promtool (the alert rules' tests). As root it runs apt-get itself (a Proxmox
# node or a container often has no sudo); otherwise through sudo when there is one; otherwise it names what is missing
# and goes on. Called by tools/test.sh.
set -euo pipefail

need=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ -x /lib/systemd/systemd-journald ] || [ -x /usr/lib/systemd/systemd-journald ] || need+=(systemd)
# The attack tests act as a second local account (useradd/userdel, setpriv) and plant FIFOs (mkfifo).
command -v useradd >/dev/null 2>&1 || need+=(passwd)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
# QEMU for the facts tests: they compare what `facts` says with what qemu-system-x86_64 -cpu <model>,enforce starts.
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
# chromium renders `scan --format html` (--dump-dom and screenshots); promtool checks and tests the alert rules.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: run as root or install them first." >&2
  fi
fi
