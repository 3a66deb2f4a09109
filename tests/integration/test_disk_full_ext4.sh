#!/usr/bin/env bash
# Issue 10 §1-2: a full disk on a real ext4 (loop device, 1 KiB and 4 KiB
# blocks). For each block size, in a private mount namespace:
#   A  the disk fills during traffic with the broker up, stays full 3 s,
#      is freed: the daemon goes on; the windows computed while it is full
#      leave from memory with seqs from a reservation and reach the
#      subscriber before space is freed; every window computed is stored
#      and delivered, or declared lost in the status message;
#   B  the same with the broker away: stored or declared;
#   C  a start on a completely full disk (the old SIGBUS): it runs;
#   D  space freed: it stores everything again;
#   K  (a fresh database) SIGKILL while the disk is full, after windows
#      left from memory with reserved seqs; then a start with room: it
#      continues after the reservation (no seq reused) and declares the
#      seqs it covered, so that every seq is delivered or declared.
# PRAGMA integrity_check is ok after each step. No seq is reused (every
# copy of a seq the subscriber got, and the stored one, are the same bytes
# but for "historical"), and every seq up to the last is delivered or
# declared. Needs root and a loop device (exit 77 with the reason
# otherwise).
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root for a loop mount"; exit 77; }
command -v mkfs.ext4 >/dev/null || { echo "skipped: no mkfs.ext4"; exit 77; }
losetup -f >/dev/null 2>&1 || { echo "skipped: no free loop device"; exit 77; }

gs_start_broker
base="gapsense/v1/sim-store/demo-1"

cat >"$GS_TMP/inner.sh" <<'INNER'
set -euo pipefail
bs=$1 mnt=$GS_TMP/mnt-$bs img=$GS_TMP/img-$bs
mkdir -p "$mnt"
dd if=/dev/zero of="$img" bs=1M count=32 status=none
mkfs.ext4 -q -F -b "$bs" "$img"
mount -o loop "$img" "$mnt" || exit 77
trap 'umount "$mnt" 2>/dev/null || true' EXIT
fill() { # the rest of the disk, down to the last block
	dd if=/dev/zero of="$mnt/filler" bs=64k status=none 2>/dev/null || true
	dd if=/dev/zero of="$mnt/filler2" bs=1k status=none 2>/dev/null || true
}
check() { # STEP DB: on a copy off the full disk (the sqlite3 shell needs
	# room for its -shm), with the WAL if one was left
	local r d=$GS_TMP/$1-$bs
	mkdir -p "$d"
	cp "$2" "$d/db"
	[ ! -e "$2-wal" ] || cp "$2-wal" "$d/db-wal"
	r=$(sqlite3 "$d/db" "PRAGMA integrity_check" 2>&1) || true
	echo "$1 integrity $r" >>"$GS_TMP/result-$bs"
}
sim() { # STEP DB PORT DURATION [GATEWAY-ID] (background)
	sed -e "s|@PORT@|$3|" -e "s|@DB@|$2|" -e "s|^id = demo-1|id = ${5:-demo-1}|" \
		"$GS_SOURCE_DIR/deploy/simulated-store.conf.in" >"$GS_TMP/$1-$bs.conf"
	"$GAPSENSE" simulate -c "$GS_TMP/$1-$bs.conf" --speed 1200 \
		--duration "$4" --start 2026-11-23T08:00:00Z --seed 5 \
		--db "$2" --drain-timeout 3s 2>"$GS_TMP/$1-$bs.log" &
	SIM=$!
}
ended() { # STEP: the exit status of $SIM
	local rc=0
	wait "$SIM" || rc=$?
	echo "$1 rc $rc" >>"$GS_TMP/result-$bs"
}
for step in A B; do
	port=$MQTT_PORT
	[ "$step" = B ] && port=1
	sim "$step" "$mnt/$step.db" "$port" 3h
	# Full for 3 s (an hour of shop time, four windows): filled again
	# as the store gives its reserve back.
	sleep 2
	for i in 1 2 3 4 5 6; do
		fill
		[ "$i" -gt 1 ] || echo "$step full $(date +%s.%N)" >>"$GS_TMP/result-$bs"
		sleep 0.5
	done
	echo "$step free $(date +%s.%N)" >>"$GS_TMP/result-$bs"
	rm -f "$mnt/filler" "$mnt/filler2"
	ended "$step"
	check "$step" "$mnt/$step.db"
done
fill
sim C "$mnt/A.db" "$MQTT_PORT" 1h
ended C
check C "$mnt/A.db"
rm -f "$mnt/filler" "$mnt/filler2"
sim D "$mnt/A.db" "$MQTT_PORT" 1h
ended D
check D "$mnt/A.db"
# K: room for a fresh store's reserve first (the checks keep copies).
rm -f "$mnt"/A.db* "$mnt"/B.db*
sim K "$mnt/K.db" "$MQTT_PORT" 3h demo-k
sleep 2
fill
for i in $(seq 1 50); do
	! grep -q "reserved, so that" "$GS_TMP/K-$bs.log" || break
	fill
	sleep 0.1
done
sleep 1.5 # two windows close (one every 0.75 s) and leave from memory
fill
{ kill -KILL "$SIM" && wait "$SIM"; } 2>/dev/null || true
echo "K killed $(date +%s.%N)" >>"$GS_TMP/result-$bs"
rm -f "$mnt/filler" "$mnt/filler2"
check K "$mnt/K.db"
sim K2 "$mnt/K.db" "$MQTT_PORT" 30m demo-k
ended K2
check K2 "$mnt/K.db"
INNER

export GAPSENSE GS_TMP GS_SOURCE_DIR MQTT_PORT
for bs in 1024 4096; do
	: >"$GS_TMP/sub-$bs.txt"
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -F '%U %t %p' -t "$base/#" \
		>"$GS_TMP/sub-$bs.txt" 2>/dev/null &
	sub=$!
	GS_PIDS+=("$sub")
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -F '%U %t %p' \
		-t "${base%/*}/demo-k/#" >"$GS_TMP/subk-$bs.txt" 2>/dev/null &
	subk=$!
	GS_PIDS+=("$subk")
	rc=0
	unshare -m --propagation private bash "$GS_TMP/inner.sh" "$bs" || rc=$?
	[ "$rc" -eq 77 ] && { echo "skipped: cannot mount a loop device"; exit 77; }
	[ "$rc" -eq 0 ] || fail "$bs: the test itself failed ($rc)"
	sleep 0.5
	kill "$sub" "$subk" 2>/dev/null || true
	python3 - "$bs" "$GS_TMP" "$base" "$GS_SOURCE_DIR" <<'PY' || fail "$bs-byte blocks: see above"
import json, re, sqlite3, sys
bs, tmp, base, src = sys.argv[1:5]
res = {}
for line in open(f"{tmp}/result-{bs}"):
    step, what, val = line.split(" ", 2)
    res[(step, what)] = val.strip()
bad = []
for step in "ABCD":
    rc = int(res[(step, "rc")])
    # 0: all acknowledged; 75: the broker never acknowledged (B, and C
    # when the disk never had room). Never a signal (135: SIGBUS).
    if rc not in (0, 75) or (step in "AD" and rc != 0):
        bad.append(f"{step}: exit {rc}")
    if res[(step, "integrity")] != "ok":
        bad.append(f"{step}: integrity_check {res[(step, 'integrity')]}")

def declared(db):
    row = sqlite3.connect(db).execute(
        "SELECT value FROM meta WHERE key = 'gateway.losses'").fetchone()
    out = {}
    for part in (row[0] if row else "").split(";"):
        f = part.split()
        if len(f) == 4:
            out[f[0]] = int(f[1])
    return out

def computed(step):
    log = open(f"{tmp}/{step}-{bs}.log").read()
    m = re.search(r"input done: \d+ edges, (\d+) events, (\d+) windows", log)
    return int(m.group(1)), int(m.group(2))

# Arrival time, topic, payload.
arrivals = [l.rstrip("\n").split(" ", 2) for l in open(f"{tmp}/sub-{bs}.txt")]
msgs = [(t, p) for _, t, p in arrivals]
for step in "AB":
    db = f"{tmp}/{step}-{bs}/db"
    ev, win = computed(step)
    lost = declared(db)
    con = sqlite3.connect(db)
    stored_w = con.execute("SELECT count(*) FROM windows").fetchone()[0]
    stored_e = con.execute("SELECT count(*) FROM events").fetchone()[0]
    if stored_w + lost.get("metrics", 0) != win:
        bad.append(f"{step}: {win} windows computed, {stored_w} stored, "
                   f"{lost.get('metrics', 0)} declared lost")
    if stored_e + lost.get("events", 0) != ev:
        bad.append(f"{step}: {ev} events, {stored_e} stored, "
                   f"{lost.get('events', 0)} declared lost")
    if not lost.get("events"):
        bad.append(f"{step}: no loss declared: was the disk ever full?")
    print(f"{bs} {step}: {win} windows ({stored_w} stored), {ev} events "
          f"({stored_e} stored), declared lost: {lost or 'nothing'}")
# A, broker up: every stored window was delivered (D repeats none).
metrics = [json.loads(p) for t, p in msgs if t == f"{base}/metrics"]
con = sqlite3.connect(f"{tmp}/D-{bs}/db")
stored = {r[0] for r in con.execute("SELECT seq FROM windows")}
got = {m["seq"] for m in metrics}
if not stored <= got:
    bad.append(f"A/D: {len(stored - got)} stored windows never delivered")
# A, broker up, the disk kept full: windows computed meanwhile took seqs
# from a reservation (the log names it) and left from memory, before space
# was freed (before issue 10's fix, none did: they waited for room).
ranges = [(int(a), int(b)) for a, b in re.findall(
    r"seqs (\d+) to (\d+) reserved", open(f"{tmp}/A-{bs}.log").read())]
free_a = float(res[("A", "free")])
full_a = float(res[("A", "full")])
early = sorted({json.loads(p)["seq"] for ts, t, p in arrivals
                if t == f"{base}/metrics" and full_a < float(ts) < free_a
                and any(a <= json.loads(p)["seq"] <= b for a, b in ranges)})
if not ranges:
    bad.append("A: no seq reservation while the disk was full")
elif len(early) < 2:
    bad.append(f"A: {len(early)} windows with reserved seqs {ranges} "
               f"arrived while the disk was full (at least 2 expected)")
# No seq reused: every copy of a seq (sent from memory, from the outbox,
# again after a lost PUBACK) and the stored one are the same bytes but for
# "historical"; and the seq runs without a gap nobody declared.
def same(p):
    return re.sub(r',"historical":(true|false)', "", p)
by_seq = {}
for t, p in msgs:
    if t.rsplit("/", 1)[1] in ("metrics", "alerts", "daily", "acks"):
        by_seq.setdefault(json.loads(p)["seq"], set()).add(same(p))
for seq, copies in by_seq.items():
    if len(copies) > 1:
        bad.append(f"seq {seq} carried {len(copies)} different messages")
for seq, p in con.execute("SELECT seq, payload FROM windows"):
    if seq in by_seq and by_seq[seq] != {same(p)}:
        bad.append(f"seq {seq}: stored bytes differ from those delivered")
last_seq = con.execute(
    "SELECT value FROM meta WHERE key = 'store.seq'").fetchone()[0]
status_d = [json.loads(p) for t, p in msgs if t == f"{base}/status"]
declared_seqs = [l for s in status_d for l in s.get("losses", [])
                 if l["kind"] == "seqs"]
def explained(q):
    return any(l["first_seq"] <= q <= l["last_seq"] for l in declared_seqs)
gaps = [q for q in range(1, last_seq + 1)
        if q not in by_seq and not explained(q)]
if gaps:
    bad.append(f"seqs never delivered nor declared: {gaps[:10]}")
print(f"{bs} A: reserved {ranges}; {len(early)} windows arrived while the "
      f"disk was full (seqs {early}); {len(by_seq)} seqs delivered up to "
      f"{last_seq}, each one message; declared seqs: "
      f"{[(l['first_seq'], l['last_seq']) for l in declared_seqs]}")
# The declaration reaches the subscriber: the last status of A.
# and validates against the contract (docs/asyncapi.yaml).
import warnings, jsonschema, yaml
warnings.simplefilter("ignore", DeprecationWarning)
spec = yaml.safe_load(open(f"{src}/docs/asyncapi.yaml"))
status_v = jsonschema.Draft7Validator(
    spec["components"]["schemas"]["status"],
    resolver=jsonschema.RefResolver.from_schema(spec))
statuses = [json.loads(p) for t, p in msgs if t == f"{base}/status"]
for s in statuses:
    for e in status_v.iter_errors(s):
        bad.append(f"status: {e.message}: {json.dumps(s)[:300]}")
lost_a = declared(f"{tmp}/A-{bs}/db")
last = [s for s in statuses if s.get("losses")]
if not last:
    bad.append("no status message declared the losses")
else:
    got_l = {l["kind"]: l["count"] for l in last[-1]["losses"]}
    if got_l.get("events", 0) < lost_a.get("events", 0):
        bad.append(f"status declares {got_l}, the store {lost_a}")
# K: killed while full, after windows left from memory with reserved
# seqs; the next start (K2) continued after the reservation and declared it.
for step, what in (("K", "integrity"), ("K2", "integrity"), ("K2", "rc")):
    want = "ok" if what == "integrity" else "0"
    if res[(step, what)] != want:
        bad.append(f"{step}: {what} {res[(step, what)]}")
base_k = base.rsplit("/", 1)[0] + "/demo-k"
arr_k = [l.rstrip("\n").split(" ", 2) for l in open(f"{tmp}/subk-{bs}.txt")]
killed = float(res[("K", "killed")])
ranges_k = [(int(a), int(b)) for a, b in re.findall(
    r"seqs (\d+) to (\d+) reserved", open(f"{tmp}/K-{bs}.log").read())]
gap_k = re.search(r"seqs (\d+) to (\d+) were reserved while the disk was "
                  r"full", open(f"{tmp}/K2-{bs}.log").read())
by_seq_k = {}
for ts, t, p in arr_k:
    if t.rsplit("/", 1)[1] in ("metrics", "alerts", "daily", "acks"):
        by_seq_k.setdefault(json.loads(p)["seq"], []).append((float(ts), same(p)))
from_memory = sorted(q for q, c in by_seq_k.items()
                     if any(ts < killed for ts, _ in c)
                     and any(a <= q <= b for a, b in ranges_k))
if not ranges_k or not gap_k:
    bad.append(f"K: reservations {ranges_k}, declared at the restart: "
               f"{gap_k.group(0) if gap_k else None}")
if not from_memory:
    bad.append("K: no window left from memory before the kill")
for q, c in by_seq_k.items():
    if len({p for _, p in c}) > 1:
        bad.append(f"K: seq {q} carried {len({p for _, p in c})} messages")
con_k = sqlite3.connect(f"{tmp}/K2-{bs}/db")
for q, p in con_k.execute("SELECT seq, payload FROM windows"):
    if q in by_seq_k and {c for _, c in by_seq_k[q]} != {same(p)}:
        bad.append(f"K: seq {q}: stored bytes differ from those delivered")
last_k = con_k.execute(
    "SELECT value FROM meta WHERE key = 'store.seq'").fetchone()[0]
decl_k = [l for t, p in ((t, p) for _, t, p in arr_k if t == f"{base_k}/status")
          for l in json.loads(p).get("losses", []) if l["kind"] == "seqs"]
gaps_k = [q for q in range(1, last_k + 1) if q not in by_seq_k and not any(
    l["first_seq"] <= q <= l["last_seq"] for l in decl_k)]
if gaps_k:
    bad.append(f"K: seqs never delivered nor declared: {gaps_k[:10]}")
# The restart's first new seq follows the reservation: none of it reused.
after = min((q for q in by_seq_k if gap_k and q > int(gap_k.group(2))),
            default=None)
if gap_k and after != int(gap_k.group(2)) + 1:
    bad.append(f"K: the first seq after the restart is {after}, not "
               f"{int(gap_k.group(2)) + 1}")
print(f"{bs} K: reserved {ranges_k}; {len(from_memory)} windows left from "
      f"memory before the kill (seqs {from_memory}); restart declared "
      f"{gap_k.group(1) + '-' + gap_k.group(2) if gap_k else None}; first "
      f"new seq {after}; {len(by_seq_k)} seqs, each one message, up to "
      f"{last_k}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"ok: {bs}-byte blocks: {len(metrics)} windows delivered, "
      f"{len(statuses)} status messages")
PY
done
