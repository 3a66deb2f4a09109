#!/usr/bin/env bash
# Issue 9 §4: check-config tells the truth about what the daemon will need.
# For each case, check-config and the daemon (simulate, which makes the
# same MQTT client as run) give the same verdict and the same message:
# missing, too open, group-writable, foreign-owned and unreadable files,
# a client certificate that does not fit its key, a CA missing with an
# mqtts:// broker. As root, the service user's view is taken for real: the
# daemon runs as "nobody" (setpriv) with the files check-config passed,
# and a secret of group gpio is readable through the unit's
# SupplementaryGroups=gpio (a temporary group gpio if the system has none).
# Also: exit codes of the man page (66 unreadable config, 78 invalid, 69 no
# GPIO chip at all), and a config with no sensors loads with a warning.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
me=$(id -un)
unit_groups= # GIDs the daemon gets as the unit's SupplementaryGroups=
gs_start_broker
d="$GS_TMP/etc"
mkdir -p "$d"
chmod 755 "$GS_TMP" "$d"

# conf NAME [OVERRIDES...]: a config of the simulated store in $d.
conf() {
	local name=$1
	shift
	python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
		"$d/$name.conf" "$MQTT_PORT" "$GS_TMP/$name.db" "$@"
}
# verdict NAME RC PATTERN [USER]: check-config and a short simulation both
# exit RC, and both say PATTERN (when RC is not 0).
verdict() {
	local name=$1 want=$2 pattern=$3 user=${4:-$me} rc=0 src=0
	"$GAPSENSE" check-config --user "$user" "$d/$name.conf" \
		>"$GS_TMP/$name.check" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "$name: check-config exits $rc, not $want: $(cat "$GS_TMP/$name.check")"
	if [ "$user" = "$me" ]; then
		timeout 20 "$GAPSENSE" simulate -c "$d/$name.conf" --speed 0 \
			--duration 15m --start 2026-11-23T08:00:00Z \
			--drain-timeout 5s >"$GS_TMP/$name.run" 2>&1 || src=$?
	else
		# The user's groups, plus those of the unit's
		# SupplementaryGroups= when $unit_groups names them.
		local groups
		groups=$(id -G "$user" | tr ' ' ,)${unit_groups:+,$unit_groups}
		timeout 20 setpriv --reuid "$user" --regid "$(id -g "$user")" \
			--groups "$groups" "$GAPSENSE" simulate -c "$d/$name.conf" \
			--speed 0 --duration 15m --start 2026-11-23T08:00:00Z \
			--drain-timeout 5s >"$GS_TMP/$name.run" 2>&1 || src=$?
	fi
	[ "$src" -eq "$want" ] ||
		fail "$name: the daemon exits $src, check-config $want: $(tail -3 "$GS_TMP/$name.run")"
	if [ "$want" -ne 0 ]; then
		grep -Eq "$pattern" "$GS_TMP/$name.check" ||
			fail "$name: check-config does not say /$pattern/: $(cat "$GS_TMP/$name.check")"
		grep -Eq "$pattern" "$GS_TMP/$name.run" ||
			fail "$name: the daemon does not say /$pattern/: $(tail -3 "$GS_TMP/$name.run")"
		echo "ok   $name: both exit $want: $(grep -Em1 "$pattern" "$GS_TMP/$name.check")"
	else
		grep -q "OK" "$GS_TMP/$name.check" || fail "$name: no OK line"
		echo "ok   $name: check-config OK and the daemon ran"
	fi
}

conf plain
verdict plain 0 ""

printf 'pw\n' >"$d/pw"
chmod 600 "$d/pw"
conf pw-ok mqtt.username=demo-1 "mqtt.password_file=$d/pw"
verdict pw-ok 0 ""
conf pw-missing mqtt.username=demo-1 "mqtt.password_file=$d/nope"
verdict pw-missing 78 "pw-missing.conf:[0-9]+: password_file: .*nope: no such file"
chmod 644 "$d/pw"
verdict pw-ok 78 "password_file: .* is a secret open to other users \(mode 0644\)"
chmod 660 "$d/pw"
verdict pw-ok 78 "writable by its group \(mode 0660\)"
chmod 600 "$d/pw"

# TLS files: a CA that is not there, a key that is not the certificate's.
pki="$d/pki"
mkdir -p "$pki"
chmod 755 "$pki"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
for n in ca client other; do
	# shellcheck disable=SC2086
	openssl req -x509 $ec -days 2 -subj "/CN=$n" -keyout "$pki/$n.key" \
		-out "$pki/$n.crt" 2>/dev/null
done
chmod 600 "$pki"/*.key
chmod 644 "$pki"/*.crt
tls="mqtt.broker=mqtts://127.0.0.1:$MQTT_PORT"
conf ca-missing "$tls" "mqtt.ca_file=$pki/nope.crt"
verdict ca-missing 78 "ca_file: .*nope.crt: no such file"
conf mismatch "$tls" "mqtt.ca_file=$pki/ca.crt" "mqtt.cert_file=$pki/client.crt" \
	"mqtt.key_file=$pki/other.key"
verdict mismatch 78 "key_file: .*other.key is not the key of cert_file"
chmod 644 "$pki/client.key"
conf key-open "$tls" "mqtt.ca_file=$pki/ca.crt" "mqtt.cert_file=$pki/client.crt" \
	"mqtt.key_file=$pki/client.key"
verdict key-open 78 "key_file: .*client.key is a secret open to other users"
chmod 600 "$pki/client.key"

# As root: the service user's view (here "nobody", as gapsense would be).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 777 "$GS_TMP"
	ng=$(id -gn nobody)
	chown root:root "$d/pw"
	chmod 600 "$d/pw"
	conf as-nobody mqtt.username=demo-1 "mqtt.password_file=$d/pw"
	chmod 644 "$d/as-nobody.conf"
	verdict as-nobody 78 "password_file: .*user nobody cannot read it" nobody
	chown "root:$ng" "$d/pw"
	chmod 640 "$d/pw"
	verdict as-nobody 0 "" nobody
	# The unit's SupplementaryGroups=gpio: a secret of group gpio is
	# readable by the service, whose user is not in gpio otherwise.
	if id -Gn nobody | grep -qw gpio; then
		echo "skip a password file of group gpio: nobody is in gpio already"
	else
		if ! getent group gpio >/dev/null; then
			groupadd --system gpio
			trap 'groupdel gpio || true; gs_cleanup' EXIT
			made_gpio=1
		fi
		chown root:gpio "$d/pw"
		chmod 640 "$d/pw"
		unit_groups=$(getent group gpio | cut -d: -f3)
		verdict as-nobody 0 "" nobody
		unit_groups=
		chown "root:$ng" "$d/pw"
		if [ -n "${made_gpio:-}" ]; then
			groupdel gpio
			trap gs_cleanup EXIT
		fi
		echo "ok   root:gpio 0640 is readable by the service user through SupplementaryGroups=gpio"
	fi
	chown "4242:$ng" "$d/pw" # a third user's, although nobody can read it
	verdict as-nobody 78 "is owned by uid 4242: it must belong to root or to nobody" nobody
	# The configuration itself must be readable by the service user.
	chmod 600 "$d/as-nobody.conf"
	rc=0
	"$GAPSENSE" check-config --user nobody "$d/as-nobody.conf" >"$GS_TMP/conf600" 2>&1 || rc=$?
	[ "$rc" -eq 78 ] && grep -q "user nobody cannot read this file" "$GS_TMP/conf600" ||
		fail "a config nobody cannot read passes for nobody (exit $rc): $(cat "$GS_TMP/conf600")"
	echo "ok   config unreadable by the service user: $(grep -m1 'cannot read this file' "$GS_TMP/conf600")"
	chmod 644 "$d/as-nobody.conf"
	# Without --user, root checks for the packaged user (or says there
	# is none and checks as root).
	out=$("$GAPSENSE" check-config "$d/as-nobody.conf" 2>&1) || true
	if id gapsense >/dev/null 2>&1; then
		grep -q "for user gapsense\|user gapsense cannot" <<<"$out" ||
			fail "root's check-config does not check for gapsense: $out"
	else
		grep -q "there is no user 'gapsense'" <<<"$out" ||
			fail "root's check-config does not say gapsense is missing: $out"
	fi
	echo "ok   root without --user: $(head -1 <<<"$out")"
	# Another user's view needs root: without it, say so (77), never OK.
	rc=0
	setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
		"$GAPSENSE" check-config --user root "$d/plain.conf" >"$GS_TMP/noroot" 2>&1 || rc=$?
	[ "$rc" -eq 77 ] && grep -q "only root can take another user's identity" "$GS_TMP/noroot" ||
		fail "check-config --user root as nobody: exit $rc: $(cat "$GS_TMP/noroot")"
	echo "ok   --user of another user without root: exit 77"
else
	echo "skip the service user's view (and a secret of group gpio): needs root, nobody and setpriv"
fi

# Exit codes of the man page.
rc=0
"$GAPSENSE" check-config "$d/none.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 66 ] || fail "a missing config: check-config exits $rc, not 66"
rc=0
"$GAPSENSE" check-config --user no-such-user-here "$d/plain.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "--user of no user: exit $rc, not 64"
printf '[gateway]\nid = x\nsite = y\ntimezone = UTC\n[storage]\ndatabase = %s\n' \
	"$GS_TMP/empty.db" >"$d/empty.conf"
out=$("$GAPSENSE" check-config --user "$me" "$d/empty.conf" 2>&1) ||
	fail "a config without sensors is refused: $out"
grep -q "warning: .*no \[sensor" <<<"$out" || fail "no warning for a config without sensors: $out"
echo "ok   no sensors: OK with a warning"
if ! ls /dev/gpiochip* >/dev/null 2>&1; then
	rc=0
	timeout 20 "$GAPSENSE" run -c "$d/plain.conf" --print >/dev/null 2>"$GS_TMP/nochip.log" || rc=$?
	[ "$rc" -eq 69 ] || fail "run without any GPIO chip exits $rc, not 69: $(tail -2 "$GS_TMP/nochip.log")"
	grep -q "this system has no GPIO chips" "$GS_TMP/nochip.log" || fail "no reason for 69"
	echo "ok   no GPIO chip at all: run exits 69, not 78"
fi
grep -q '^\.B 69$' "$GS_SOURCE_DIR/deploy/gapsense.1" || fail "the man page lacks exit status 69"
echo "ok: check-config"
