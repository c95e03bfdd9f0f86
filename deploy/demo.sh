#!/bin/bash
# deploy/demo.sh: install what is missing, build, and run the demo: a
# federation on loopback of three communities of the municipality of
# Oss (the villages Haren and Geffen, the district Ruwaard) and the
# municipality's aggregator.  Each community writes its own records
# through its own daemon, signed with its own key; the aggregator follows
# all three and shows the view across them, with every signature and
# chain verified; an erase propagates; nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/deps.sh
if [ ! -d build ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

BUURT=$PWD/build/tools/buurt
BUURTD=$PWD/build/node/buurtd
D=$(mktemp -d /tmp/buurt-demo.XXXXXX)
NODES="haren geffen ruwaard oss"
declare -A PID=()
cleanup() {
	local v
	for v in "${!PID[@]}"; do
		kill -TERM "${PID[$v]}" 2>/dev/null || true
		wait "${PID[$v]}" 2>/dev/null || true
	done
	rm -rf "$D"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
b() { local v=$1; shift; "$BUURT" -C "$D/$v" "$@"; }
id() { cat "$D/$1.id"; }
sync_ep() { sed -n 's/^sync = //p' "$D/$1/buurt.conf"; }

say "Four nodes in $D: three communities and the municipality"
"$BUURT" init "$D/haren" --name "Dorpsraad Haren" >"$D/haren.id"
"$BUURT" init "$D/geffen" --name "Dorpsraad Geffen" >"$D/geffen.id"
"$BUURT" init "$D/ruwaard" --name "Wijkraad Ruwaard" >"$D/ruwaard.id"
"$BUURT" init "$D/oss" --name "Gemeente Oss" >"$D/oss.id"
for v in $NODES; do
	printf '%-8s node id %s  sync %s\n' "$v" "$(id $v)" "$(sync_ep $v)"
done

say "Starting four buurtd daemons"
for v in $NODES; do
	"$BUURTD" "$D/$v" 2>"$D/$v.log" &
	PID[$v]=$!
done
for v in $NODES; do
	for _ in $(seq 100); do
		b "$v" --timeout 1000 status >/dev/null 2>&1 && break
		sleep 0.1
	done
	grep -h ready "$D/$v.log" || true
done

say "The municipality follows every community; Geffen follows Haren"
for v in haren geffen ruwaard; do
	b oss follow "$(id $v)" "$(sync_ep $v)"
done
b geffen follow "$(id haren)" "$(sync_ep haren)"

say "Haren writes its records (signed by Haren's key only)"
b haren put profile --id self name="Dorpsraad Haren" area=Haren \
    municipality=Oss 'functions:=["representative","advisory","activating","connecting"]' \
    contact="Through this node; the council meets monthly in De Haar."
b haren put place --id de-haar name="Community centre De Haar" \
    category=community-centre setting=indoor lat:=51.7731 lon:=5.4922 \
    'accessibility:=["wheelchair","accessible-toilet"]' \
    managed_by="Stichting De Haar"
b haren put initiative --id kookclub-haren <<'JSON'
{"title": "Kookclub Haren",
 "description": "Once a month the community centre De Haar turns into a restaurant for people connected to Haren, who pay a small contribution. Running for seven years with the same volunteers; now also lunches and coffee mornings.",
 "pillar": "social-ties", "status": "running",
 "roles": ["initiators", "volunteer cooks"], "place": "place/de-haar",
 "tags": ["food", "meeting", "elderly"]}
JSON
b haren put activity --id kookclub-december title="Kookclub dinner" \
    start=2026-12-11T18:00 place=place/de-haar \
    initiative=initiative/kookclub-haren cost_cents:=750 \
    recurrence="monthly, second Friday"
b haren put story --id kookclub-seven-years title="Seven years of Kookclub" \
    initiative=initiative/kookclub-haren \
    achieved="Eighty dinners, and lunches and coffee mornings besides." \
    contributions="The same volunteers cook every month; De Haar gives the room; one grant paid for the kitchen." \
    participants_view="Guests say it is the evening of the month they look forward to."
b haren put offer --id help-with-forms title="Help with forms and letters" \
    mode=can-for-another area=Haren availability="weekday evenings"
b haren put request --id lift-to-hospital \
    title="A lift to the hospital in Oss" area=Haren \
    availability="Tuesday mornings"

say "Geffen writes its records"
b geffen put profile --id self name="Dorpsraad Geffen" area=Geffen \
    municipality=Oss 'functions:=["representative","connecting"]'
b geffen put initiative --id heksje-route <<'JSON'
{"title": "Heksje Route",
 "description": "A children's trail in the Geffense Bosjes with branch huts, slalom posts, stepping logs, climbing trees, a picnic table, balance beams, birdhouses and witch hats as route markers, and QR posts with facts about the forest. Started by a district council member, run by neighbours, who raise their own money.",
 "pillar": "living-environment", "status": "running", "area": "Geffen",
 "tags": ["children", "nature", "play"]}
JSON
b geffen put agenda --id loneliness theme="Loneliness among older residents" \
    description="Older residents living alone meet fewer people since the shop closed." \
    status=discussing perspective_residents="More informal meeting places nearby."

say "Ruwaard writes its records"
b ruwaard put profile --id self name="Wijkraad Ruwaard" area=Ruwaard \
    municipality=Oss
b ruwaard put initiative --id urban-ox-park <<'JSON'
{"title": "Urban Ox Park",
 "description": "Residents who want an urban sports park - skate bowl, pump track, calisthenics - for beginners, advanced and disabled athletes, in a green park. The municipality helped find a feasible spot in the Sibeliuspark; the initiators remain owners.",
 "pillar": "living-environment", "status": "preparing",
 "roles": ["initiators"], "area": "Oss",
 "funding_amount": 2500000, "funding_purpose": "Crowdfunding for the pump track",
 "tags": ["sport", "youth", "inclusion"]}
JSON

say "The municipality writes in its own namespace: a district figure"
b oss put profile --id self name="Gemeente Oss" area=Oss municipality=Oss
b oss put figure --id haren-75-alone indicator="Residents 75+ living alone" \
    value:=312 unit=persons period=2025 source="Wijkfoto Haren" area=Haren

say "A write that breaks its kind's schema is refused, naming the field"
b haren put initiative title="Without a pillar" description="Refused" \
    status=idea && exit 1 || echo "(refused, exit status $?)"

# Wait until the aggregator holds every community at its own head.
head_of() {
	b "$1" --json status | /usr/bin/python3 -c '
import json, sys
for n in json.load(sys.stdin)["namespaces"]:
    if n["ns"] == sys.argv[1]:
        print(n["seq"], n["hash"]); break
else:
    print("-")' "$2"
}
converge() {
	local v want
	for v in haren geffen ruwaard; do
		want=$(head_of "$v" "$(id $v)")
		for _ in $(seq 100); do
			[ "$(head_of oss "$(id $v)")" = "$want" ] && break
			sleep 0.1
		done
		[ "$(head_of oss "$(id $v)")" = "$want" ] ||
		    { echo "oss did not catch up with $v" >&2; exit 1; }
	done
}
converge

say "The municipality's view across the communities"
b oss status
echo
echo "-- every initiative across the communities (buurt list initiative --all):"
b oss list initiative --all
echo
echo "-- records per community and kind (buurt counts):"
b oss counts
echo
echo "-- search across the communities: 'kookclub', and the tag 'sport':"
b oss search kookclub
b oss search --tag sport

say "Read on the aggregator, verified against Haren's key"
b oss get initiative kookclub-haren --ns "$(id haren)"

say "Haren erases a request (right to be forgotten): gone everywhere"
b haren erase request lift-to-hospital
converge
b oss get request lift-to-hospital --ns "$(id haren)"

say "Haren's whole log on the aggregator: every signature and link checked"
b oss log --ns "$(id haren)"

say "Stopping the four daemons"
for v in $NODES; do
	kill -TERM "${PID[$v]}"
	wait "${PID[$v]}"
	unset "PID[$v]"
done
echo "all four buurtd stopped cleanly; demo done."
