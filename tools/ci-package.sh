#!/usr/bin/env bash
# CI for the Debian package: build, lintian, contents, install, run, upgrade
# with an edited configuration, purge. One line per check; exit 1 on any failure.
#
#   tools/ci-package.sh            build with tools/package.sh, then check
#   tools/ci-package.sh FILE.deb   check an existing package instead of building one
#
# Must run as root on a Debian machine where the package may be installed and
# purged (CI). It installs what it needs with apt: lintian, man-db, groff-base,
# bash-completion (and through tools/package.sh: debhelper, clang).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=proxclmc-guard
conffile=/etc/proxclmc-guard/proxclmc-guard.toml
lab="$repo/contrib/examples/lab-cluster"

failures=0
skips=0
ok() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; failures=$((failures + 1)); }
skip() { printf 'skip %s\n' "$1"; skips=$((skips + 1)); }
# check "description" command...: ok when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
    printf '%s checks failed, %s skipped\n' "$failures" "$skips"
    ((failures == 0)) || exit 1
    exit 0
}

if [[ $(id -u) -ne 0 ]]; then
    echo "ci-package.sh: must run as root (it installs and purges the package)" >&2
    exit 1
fi

need=()
for p in lintian man-db groff-base bash-completion; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
    echo "ci-package.sh: installing ${need[*]}"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } >/dev/null ||
        { echo "ci-package.sh: apt-get install ${need[*]} failed" >&2; exit 1; }
fi

# --- debian/copyright covers the test corpus's sources ----------------------------
# Each folder's SOURCES.tsv names the repository of every file (column 2);
# a new source needs its own paragraph in debian/copyright.
missing_sources=$(awk -F'\t' 'FNR > 1 && $1 != "file" && $2 !~ /^\(none/ { print $2 }' "$repo"/tests/corpus/*/SOURCES.tsv |
    sort -u | while IFS= read -r source; do grep -qF "$source" "$repo/debian/copyright" || echo "$source"; done)
check "copyright: every source in tests/corpus/*/SOURCES.tsv has a paragraph${missing_sources:+ (missing: $(echo $missing_sources))}" \
    test -z "$missing_sources"

# --- build -------------------------------------------------------------------
if [[ $# -ge 1 ]]; then
    deb=$(realpath "$1")
    changes=''
else
    start=$(date +%s)
    mkdir -p "$repo/artifacts"
    if "$repo/tools/package.sh" >"$repo/artifacts/package-build.log" 2>&1; then
        ok "build: tools/package.sh ($(($(date +%s) - start)) s, log in artifacts/package-build.log)"
    else
        tail -40 "$repo/artifacts/package-build.log"
        fail "build: tools/package.sh (log in artifacts/package-build.log)"
        finish
    fi
    deb=$(ls "$repo"/artifacts/deb/${pkg}_*_amd64.deb)
    changes=$(ls "$repo"/artifacts/deb/${pkg}_*_amd64.changes)
fi
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}
echo "package: $deb ($version)"

# --- lintian -------------------------------------------------------------------
if :; then
    # (lintian's note that it runs as root goes to stderr; exit 2 is lintian failing itself)
    lintian_out=$(lintian --display-info "${changes:-$deb}" 2>/tmp/ci-package-lintian.err)
    lintian_rc=$?
    echo "$lintian_out" | sed 's/^/  lintian: /'
    grep -v 'running with root privileges' /tmp/ci-package-lintian.err | sed 's/^/  lintian: /'
    check "lintian: ran (exit $lintian_rc)" test "$lintian_rc" -le 1
    n_err=$(grep -c '^E:' <<<"$lintian_out")
    n_warn=$(grep -c '^W:' <<<"$lintian_out")
    # Every warning that remains must be overridden, with its reason, in
    # debian/proxclmc-guard.lintian-overrides.
    check "lintian: no errors ($n_err)" test "$n_err" -eq 0
    check "lintian: no unexplained warnings ($n_warn)" test "$n_warn" -eq 0
fi

# --- contents ------------------------------------------------------------------
echo "contents of $(basename "$deb"):"
dpkg -c "$deb" | sed 's/^/  /'
contents=$(dpkg -c "$deb" | awk '{print $6}' | sed 's:^\./:/:')
for path in /usr/bin/proxclmc-guard "$conffile" \
    /usr/share/proxclmc-guard/proxclmc-guard-hook \
    /usr/share/bash-completion/completions/proxclmc-guard \
    /usr/share/man/man1/proxclmc-guard.1.gz \
    /usr/share/doc/proxclmc-guard/copyright \
    /var/lib/proxclmc-guard/; do
    check "contents: $path" grep -qxF "$path" <<<"$contents"
done
for unit in proxclmc-guard-scan.service proxclmc-guard-scan.timer proxclmc-guard.service proxclmc-guard-facts.service; do
    check "contents: systemd unit $unit" grep -qE "^(/usr)?/lib/systemd/system/$unit\$" <<<"$contents"
done
check "contents: $conffile is a conffile" \
    grep -qxF "$conffile" < <(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)

# --- install -------------------------------------------------------------------
installed_by_us=0
cleanup() {
    if ((installed_by_us)) && dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
        dpkg --purge "$pkg" >/dev/null 2>&1
    fi
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    echo "ci-package.sh: $pkg is already installed; purging it first for a fresh install"
    dpkg --purge "$pkg" >/dev/null
fi

# No systemd as PID 1 on CI: the maintainer scripts must still succeed (they
# enable the timer by symlink and skip starting anything).
if dpkg -i "$deb" </dev/null >/tmp/ci-package-dpkg.log 2>&1; then
    installed_by_us=1
    ok "install: dpkg -i (systemd running: $([[ -d /run/systemd/system ]] && echo yes || echo no))"
else
    sed 's/^/  dpkg: /' /tmp/ci-package-dpkg.log
    fail "install: dpkg -i"
    finish
fi
check "install: package status is installed" \
    test "$(dpkg-query -W -f='${Status}' "$pkg")" = "install ok installed"
check "install: /usr/bin/proxclmc-guard is executable" test -x /usr/bin/proxclmc-guard
check "install: hookscript is executable" test -x /usr/share/proxclmc-guard/proxclmc-guard-hook
check "install: state directory /var/lib/proxclmc-guard, mode 0750" test "$(stat -c %a /var/lib/proxclmc-guard 2>/dev/null)" = 750
check "install: the scan timer is enabled" test -L /etc/systemd/system/timers.target.wants/proxclmc-guard-scan.timer
check "install: the worker is not enabled" \
    bash -c '! compgen -G "/etc/systemd/system/*.wants/proxclmc-guard.service" >/dev/null'

# --- run -----------------------------------------------------------------------
out=$(/usr/bin/proxclmc-guard --version 2>&1)
rc=$?
check "run: proxclmc-guard --version exits 0 (exit $rc)" test "$rc" -eq 0
check "run: proxclmc-guard --version prints $upstream (printed: ${out:-nothing})" grep -qF "$upstream" <<<"$out"

if [[ -d $lab ]]; then
    out=$(/usr/bin/proxclmc-guard scan --from "$lab" 2>&1)
    rc=$?
    echo "$out" | head -40 | sed 's/^/  scan: /'
    check "run: scan --from contrib/examples/lab-cluster exits 0, 1 or 2 (exit $rc)" test "$rc" -le 2
    check "run: scan --from contrib/examples/lab-cluster prints a report" test -n "$out"
else
    skip "run: scan --from: $lab does not exist yet (the lab cluster snapshot)"
fi

man_warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l /usr/share/man/man1/proxclmc-guard.1.gz 2>&1 >/dev/null)
check "man: renders without warnings${man_warnings:+ ($man_warnings)}" test -z "$man_warnings"
man_text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l /usr/share/man/man1/proxclmc-guard.1.gz 2>/dev/null)
for verb in baseline scan check fix hook daemon snapshot; do
    check "man: documents the verb $verb" grep -qE "^ {7}$verb( |\$)" <<<"$man_text"
done
exit_section=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$man_text")
for code in 0 1 2 3 64 78; do
    check "man: documents exit status $code" grep -qE "^ {7}$code( |\$)" <<<"$exit_section"
done
for section in cluster facts ssh api policy fix daemon report hook; do
    check "man: documents the config section [$section]" grep -qE "^ {3}\[$section\]" <<<"$man_text"
done

# The man page keeps up with --help: every command and option the binary lists.
help_commands() { sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'; }
help_options() {
    sed -n '/^Options:/,/^$/p' | grep -oE '^ +(-[-a-zA-Z?]+, )*--[a-z][-a-z]*' | grep -oE -- '--[a-z][-a-z]*$'
}
undocumented=''
for verb in '' $(/usr/bin/proxclmc-guard --help 2>/dev/null | help_commands); do
    for sub in '' $( [[ -n $verb ]] && /usr/bin/proxclmc-guard $verb --help 2>/dev/null | help_commands); do
        [[ -n $verb ]] && ! grep -qE "^ {7}$verb( |\$)" <<<"$man_text" && undocumented+=" $verb"
        [[ -n $sub ]] && ! grep -qF "$verb $sub" <<<"$man_text" && undocumented+=" '$verb $sub'"
        for option in $(/usr/bin/proxclmc-guard $verb $sub --help 2>/dev/null | help_options); do
            grep -qF -- "$option" <<<"$man_text" || undocumented+=" '${verb:+$verb }${sub:+$sub }$option'"
        done
    done
done
check "man: documents every command and option --help lists${undocumented:+ (missing:$undocumented)}" test -z "$undocumented"

# Completion as bash sees it on an administrator's node.
complete_words() {
    bash -c 'source /usr/share/bash-completion/bash_completion
        source /usr/share/bash-completion/completions/proxclmc-guard
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _proxclmc_guard proxclmc-guard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' completion "$@" | sort | tr '\n' ' '
}
got=$(complete_words proxclmc-guard s)
check "completion: 'proxclmc-guard s' offers scan snapshot (got: $got)" test "$got" = "scan snapshot "
got=$(complete_words proxclmc-guard --format json fix --in)
check "completion: 'fix --in' offers --include-running (got: $got)" test "$got" = "--include-running "
got=$(complete_words proxclmc-guard --format '')
check "completion: '--format' offers the formats (got: $got)" test "$got" = "json prometheus table "

# --- upgrade over itself with an edited configuration ------------------------------
marker="# edited by ci-package.sh $$"
echo "$marker" >>"$conffile"
if dpkg -i "$deb" </dev/null >/tmp/ci-package-dpkg.log 2>&1; then
    ok "upgrade: dpkg -i of the same version again"
else
    sed 's/^/  dpkg: /' /tmp/ci-package-dpkg.log
    fail "upgrade: dpkg -i of the same version again"
fi
check "upgrade: the edited $conffile survives a reinstall" grep -qxF "$marker" "$conffile"

# A real upgrade: the same package with a higher version, as the next release
# would be, so dpkg runs the upgrade paths of every maintainer script.
work=$(mktemp -d)
dpkg-deb -R "$deb" "$work/tree"
sed -i "s/^Version: .*/Version: ${version}+ciupgrade1/" "$work/tree/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/tree" "$work/upgrade.deb" >/dev/null
if dpkg -i "$work/upgrade.deb" </dev/null >/tmp/ci-package-dpkg.log 2>&1; then
    ok "upgrade: dpkg -i $version -> ${version}+ciupgrade1"
else
    sed 's/^/  dpkg: /' /tmp/ci-package-dpkg.log
    fail "upgrade: dpkg -i $version -> ${version}+ciupgrade1"
fi
rm -rf "$work"
check "upgrade: installed version is ${version}+ciupgrade1" \
    test "$(dpkg-query -W -f='${Version}' "$pkg")" = "${version}+ciupgrade1"
check "upgrade: the edited $conffile survives the upgrade" grep -qxF "$marker" "$conffile"
check "upgrade: no .dpkg-dist/.dpkg-new copy of the config left" \
    bash -c '! compgen -G "/etc/proxclmc-guard/*.dpkg-*" >/dev/null'
check "upgrade: the scan timer is still enabled" test -L /etc/systemd/system/timers.target.wants/proxclmc-guard-scan.timer

# --- remove: VMs with the hookscript attached still start ----------------------
# `hook attach` copies the snippet to a snippets storage, outside the package: after `apt remove` Proxmox still
# runs that copy in every VM start, and it must allow the start when the binary is gone.
snippets=$(mktemp -d)
cp /usr/share/proxclmc-guard/proxclmc-guard-hook "$snippets/"
# An older copy in the default snippets folder (it exec'ed the binary, so it failed with 127 once the binary was
# gone): prerm refreshes our own snippet there.
vz_created=0
[[ -d /var/lib/vz/snippets ]] || { mkdir -p /var/lib/vz/snippets; vz_created=1; }
vz_snippet=/var/lib/vz/snippets/proxclmc-guard-hook
printf '#!/bin/sh\n# ProxClmc.Guard hookscript for Proxmox VE.\nexec /usr/bin/proxclmc-guard hook "$1" "$2"\n' >"$vz_snippet"
chmod 0755 "$vz_snippet"
if dpkg -r "$pkg" </dev/null >/tmp/ci-package-dpkg.log 2>&1; then
    ok "remove: dpkg -r"
else
    sed 's/^/  dpkg: /' /tmp/ci-package-dpkg.log
    fail "remove: dpkg -r"
fi
out=$(PVE_MIGRATED_FROM=pve1 "$snippets/proxclmc-guard-hook" 100 pre-start 2>&1)
rc=$?
check "remove: the attached snippet allows the start once the binary is gone (exit $rc: $out)" test "$rc" -eq 0
out=$(PVE_MIGRATED_FROM=pve1 "$vz_snippet" 100 pre-start 2>&1)
rc=$?
check "remove: an older snippet in /var/lib/vz/snippets was refreshed and allows the start (exit $rc: $out)" test "$rc" -eq 0
rm -rf "$snippets"
rm -f "$vz_snippet"
if ((vz_created)); then
    rmdir /var/lib/vz/snippets /var/lib/vz 2>/dev/null || true
fi

# --- purge ---------------------------------------------------------------------
# State the tool writes at run time (facts cache, undo plans) must go too.
mkdir -p /var/lib/proxclmc-guard/undo && echo '{}' >/var/lib/proxclmc-guard/undo/ci-state-check.json
# So must an API token secret stored where the shipped configuration suggests.
(umask 077 && echo 'ci-not-a-secret' >/etc/proxclmc-guard/token.secret)
if dpkg --purge "$pkg" </dev/null >/tmp/ci-package-dpkg.log 2>&1; then
    installed_by_us=0
    ok "purge: dpkg --purge"
else
    sed 's/^/  dpkg: /' /tmp/ci-package-dpkg.log
    fail "purge: dpkg --purge"
fi
check "purge: package is gone from dpkg's database" \
    bash -c "! dpkg-query -W -f='\${Status}' $pkg 2>/dev/null | grep -q installed"
for path in /etc/proxclmc-guard /var/lib/proxclmc-guard /usr/bin/proxclmc-guard /usr/share/proxclmc-guard \
    /usr/share/doc/proxclmc-guard /usr/share/man/man1/proxclmc-guard.1.gz \
    /usr/share/bash-completion/completions/proxclmc-guard; do
    check "purge: $path is gone" test ! -e "$path"
done
leftovers=$(find /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system \
    /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
    -name '*proxclmc-guard*' 2>/dev/null)
check "purge: no unit files, enablement links or systemd helper state left${leftovers:+ ($(echo $leftovers))}" \
    test -z "$leftovers"

finish
