#!/usr/bin/env bash
# Issue 5: TLS. Certificates are made here with openssl; mosquitto listens
# with TLS. The right CA and host name connect; a wrong CA, a certificate
# for another host name and a missing client certificate (mutual TLS) are
# refused with a clear log line, and so is a broker that offers only TLS
# 1.1; a password file others can read stops the gateway before it starts;
# user name and password from the file work.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
pki="$GS_TMP/pki"
mkdir -p "$pki"

ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"; }
# ca NAME
ca() {
	openssl req -x509 $(ec) -days 2 -subj "/CN=$1" \
		-keyout "$pki/$1.key" -out "$pki/$1.crt" 2>/dev/null
}
# cert NAME CA SAN [EXT]
cert() {
	openssl req $(ec) -subj "/CN=$1" -keyout "$pki/$1.key" \
		-out "$pki/$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\n%s\n' "$3" "${4:-}" >"$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" \
		-CAkey "$pki/$2.key" -CAcreateserial -days 2 \
		-extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
ca test-ca
ca other-ca
cert server test-ca "IP:127.0.0.1,DNS:localhost"
cert wrong-name test-ca "DNS:other.example"
cert client test-ca "DNS:demo-1" "extendedKeyUsage=clientAuth"
chmod 600 "$pki"/*.key

# broker CERT [LINES...]: a TLS broker on a new port; sets MQTT_PORT. It
# keeps our user: run as root it would drop to "mosquitto", which cannot
# read keys in our private directory.
broker() {
	local crt=$1
	shift
	MQTT_PORT=
	gs_start_broker "cafile $pki/test-ca.crt" "certfile $pki/$crt.crt" \
		"keyfile $pki/$crt.key" "tls_version tlsv1.2" \
		"user $(id -un)" "$@"
}

# gw NAME EXPECT [OVERRIDES...]: EXPECT is ok, or a pattern the log must
# show after the gateway gave up.
gw() {
	local name=$1 expect=$2 rc=0
	shift 2
	python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
		"$GS_TMP/$name.conf" "$MQTT_PORT" "$GS_TMP/$name.db" \
		"mqtt.broker=mqtts://127.0.0.1:$MQTT_PORT" mqtt.reconnect_min=200ms \
		mqtt.reconnect_max=1s "$@"
	"$GAPSENSE" simulate -c "$GS_TMP/$name.conf" --speed 0 --duration 30m \
		--start 2026-11-23T08:00:00Z --drain-timeout 3s \
		2>"$GS_TMP/$name.log" || rc=$?
	if [ "$expect" = ok ]; then
		[ "$rc" -eq 0 ] || fail "$name: exit $rc: $(grep mqtt "$GS_TMP/$name.log" | tail -3)"
		grep -q "connected to mqtts://" "$GS_TMP/$name.log" ||
			fail "$name: no connection logged"
		echo "ok   $name: connected and delivered"
	else
		[ "$rc" -ne 0 ] || fail "$name: connected although it must not"
		grep -Eq "$expect" "$GS_TMP/$name.log" ||
			fail "$name: log lacks /$expect/: $(grep mqtt "$GS_TMP/$name.log" | tail -3)"
		echo "ok   $name: refused: $(grep -Em1 "$expect" "$GS_TMP/$name.log")"
	fi
}

broker server
gw good-ca ok "mqtt.ca_file=$pki/test-ca.crt"
gw wrong-ca "cannot connect.*(certificate verify failed|TLS)" \
	"mqtt.ca_file=$pki/other-ca.crt"

broker wrong-name
gw wrong-host "cannot connect" "mqtt.ca_file=$pki/test-ca.crt"
# Host name verification is what refused it: off, the same CA passes.
gw no-host-check ok "mqtt.ca_file=$pki/test-ca.crt" mqtt.tls_verify_hostname=false

broker server "require_certificate true"
gw mtls-without-cert "cannot connect|connection to .* lost" "mqtt.ca_file=$pki/test-ca.crt"
gw mtls ok "mqtt.ca_file=$pki/test-ca.crt" "mqtt.cert_file=$pki/client.crt" \
	"mqtt.key_file=$pki/client.key"

# A broker that speaks nothing newer than TLS 1.1 is refused. Paho 1.3.12
# has no minimum-version setting (with OpenSSL >= 1.1 it ignores
# sslVersion): the floor is OpenSSL 3's, whose default security level
# refuses TLS 1.0 and 1.1. The control: an old client does get through.
MQTT_PORT=$(gs_free_port)
openssl s_server -www -accept "127.0.0.1:$MQTT_PORT" -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' -cert "$pki/server.crt" \
	-key "$pki/server.key" >"$GS_TMP/tls11.log" 2>&1 &
GS_PIDS+=($!)
gs_wait_port "$MQTT_PORT"
old=$(echo | timeout 5 openssl s_client -connect "127.0.0.1:$MQTT_PORT" \
	-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$pki/test-ca.crt" 2>&1 || true)
grep -Eq "Protocol *: TLSv1.1" <<<"$old" ||
	fail "the TLS 1.1 server does not speak TLS 1.1: $(tail -3 <<<"$old")"
gw tls-1.1-only "cannot connect.*TLS" "mqtt.ca_file=$pki/test-ca.crt"

# Credentials: the broker checks a password file of its own.
mosquitto_passwd -c -b "$GS_TMP/broker.passwd" demo-1 'c0rrect horse' >/dev/null
broker server "allow_anonymous false" "password_file $GS_TMP/broker.passwd"
printf 'c0rrect horse\n' >"$GS_TMP/good.pw"
chmod 600 "$GS_TMP/good.pw"
gw password ok "mqtt.ca_file=$pki/test-ca.crt" mqtt.username=demo-1 \
	"mqtt.password_file=$GS_TMP/good.pw"
printf 'wrong\n' >"$GS_TMP/bad.pw"
chmod 640 "$GS_TMP/bad.pw"
gw bad-password "cannot connect.*(bad user name or password|not authori)" \
	"mqtt.ca_file=$pki/test-ca.crt" mqtt.username=demo-1 \
	"mqtt.password_file=$GS_TMP/bad.pw"

# A password others can read: refuse to start, say why.
chmod 644 "$GS_TMP/good.pw"
rc=0
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/open.conf" "$MQTT_PORT" "$GS_TMP/open.db" \
	"mqtt.broker=mqtts://127.0.0.1:$MQTT_PORT" "mqtt.ca_file=$pki/test-ca.crt" \
	mqtt.username=demo-1 "mqtt.password_file=$GS_TMP/good.pw"
timeout 10 "$GAPSENSE" simulate -c "$GS_TMP/open.conf" --speed 0 --duration 5m \
	2>"$GS_TMP/open.log" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "started with a world-readable password file (exit $rc)"
grep -q "open to other users" "$GS_TMP/open.log" ||
	fail "no clear error for the password file: $(cat "$GS_TMP/open.log")"
echo "ok   world-readable password file: exit $rc: $(grep -m1 'open to other users' "$GS_TMP/open.log")"
echo "ok: TLS"
