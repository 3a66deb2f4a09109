# Shared by the benchmarks that replay a recorded busy-store day
# (bench_replay.sh, bench_live_paced.sh). Source it after
# tests/integration/lib.sh and gs_start_broker; it sets:
#   conf      tests/data/scenarios/busy-store.conf with this broker and a
#             scratch database (as gs_write_sim_config does for the
#             simulated store's template)
#   scenario  bench/out/busy-day-$customers.csv, the day of $customers
#             customers (seed 42), recorded on first use and kept
conf=$GS_TMP/busy-store.conf
sed -e "s|^broker = .*|broker = mqtt://127.0.0.1:$MQTT_PORT|" \
	-e "s|^database = .*|database = $GS_TMP/unused.db|" \
	"$GS_SOURCE_DIR/tests/data/scenarios/busy-store.conf" >"$conf"
grep -q "127.0.0.1:$MQTT_PORT" "$conf" || fail "no broker line in $conf"
"$GAPSENSE" check-config "$conf" >/dev/null

scenario=$GS_SOURCE_DIR/bench/out/busy-day-$customers.csv
mkdir -p "$GS_SOURCE_DIR/bench/out"
if [ ! -s "$scenario" ]; then
	echo "recording a simulated day of $customers customers to $scenario"
	"$GAPSENSE" simulate -c "$conf" --speed 0 --duration 24h \
		--start 2026-11-23T00:00:00Z --customers "$customers" --seed 42 \
		--record "$scenario.tmp" --print --db "$GS_TMP/record.db" \
		>/dev/null
	mv "$scenario.tmp" "$scenario"
fi
