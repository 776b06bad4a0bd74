#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cli.sh CASE: the command line as people expect it, across every subcommand.
#   help   `burnfs CMD --help` (and -h) prints CMD's own usage on stdout, nothing on stderr,
#          exit 0, for every command and every vdrive subcommand
#   usage  a missing required argument or an unknown option: exit 2, one line naming what is
#          wrong with the prefix `burnfs CMD:`, nothing on stdout
set -u
: "${BURNFS:?}"
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-cli.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmds="image verify burn info erase eject drives mount umount commit status vdrive sessions ls extract"
vsubs="create info export import-image load eject fault"

# check_help WORDS...: the usage of WORDS on stdout, naming them; exit 0; stderr empty
check_help() {
	local flag rc
	for flag in --help -h; do
		"$BURNFS" "$@" "$flag" >"$t/out" 2>"$t/err"
		rc=$?
		[ "$rc" = 0 ] || fail "burnfs $* $flag: exit $rc: $(head -3 "$t/err")"
		[ -s "$t/err" ] && fail "burnfs $* $flag: wrote to stderr: $(head -3 "$t/err")"
		grep -q "burnfs $*" "$t/out" || fail "burnfs $* $flag: the usage does not name 'burnfs $*': $(head -3 "$t/out")"
	done
}

# check_usage EXPECT WORDS...: exit 2, a `burnfs CMD:` message matching EXPECT, empty stdout
check_usage() {
	local expect=$1 rc
	shift
	"$BURNFS" "$@" >"$t/out" 2>"$t/err" </dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "burnfs $*: exit $rc, want 2: $(head -3 "$t/err")"
	[ -s "$t/out" ] && fail "burnfs $*: usage error wrote to stdout: $(head -3 "$t/out")"
	local prefix="burnfs $1"
	[ "$1" = vdrive ] && prefix="burnfs vdrive $2"
	case $1 in -* | frobnicate) prefix=burnfs ;; esac
	grep -q "^$prefix:" "$t/err" || fail "burnfs $*: no '$prefix:' prefix: $(head -3 "$t/err")"
	grep -qi -- "$expect" "$t/err" || fail "burnfs $*: message does not say '$expect': $(head -3 "$t/err")"
}

case ${1:-} in
help)
	for c in $cmds; do check_help "$c"; done
	for s in $vsubs; do check_help vdrive "$s"; done
	"$BURNFS" --help >"$t/out" 2>"$t/err" || fail "burnfs --help: exit $?"
	for c in $cmds; do
		grep -Eq "burnfs ([a-z]+\|)*$c( |\||$)" "$t/out" || fail "burnfs --help does not list $c"
	done
	;;
usage)
	check_usage "output" image "$t"
	check_usage "SRC\|source" image -o "$t/x.iso"
	check_usage "image" verify
	check_usage "unknown\|unrecognized\|not an option" burn --no-such-option x
	check_usage "SRC\|source\|nothing to burn" burn --drive "vdrive:$t/d"
	check_usage "mountpoint\|MOUNTPOINT" mount
	check_usage "mountpoint\|MOUNTPOINT" umount
	check_usage "mountpoint\|MOUNTPOINT" commit
	check_usage "mountpoint\|MOUNTPOINT" status
	check_usage "media" vdrive create "$t/d"
	check_usage "fault\|spec" vdrive fault "$t/d"
	check_usage "unknown\|unrecognized\|not an option" info --bogus
	check_usage "not a burnfs command" frobnicate
	check_usage "unknown option" image --bogus "$t" -o "$t/x.iso"
	check_usage "needs an argument\|requires an argument" verify --session
	check_usage "DIR\|directory" vdrive load
	check_usage "DIR\|directory" vdrive info
	check_usage "mountpoint\|MOUNTPOINT\|mount point" commit --cancel
	check_usage "drive" erase
	;;
*)
	echo "usage: cli.sh help|usage" >&2
	exit 2
	;;
esac
