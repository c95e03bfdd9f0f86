#!/bin/bash
# deploy/demo.sh: install what is missing, build, and run the demo: a node
# for the village of Haren in a temporary directory, the Oss example
# records written through the running daemon, read back, and every
# signature and the whole chain verified.  Leaves nothing running.
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
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$D"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
b() { "$BUURT" -C "$D/haren" "$@"; }

say "A node for the village council of Haren, in $D/haren"
id=$("$BUURT" init "$D/haren" --name "Dorpsraad Haren")
echo "node id (its namespace): $id"

say "Starting buurtd"
"$BUURTD" "$D/haren" 2>"$D/buurtd.log" &
pid=$!
for _ in $(seq 100); do
	b --timeout 1000 status >/dev/null 2>&1 && break
	sleep 0.1
done
grep ready "$D/buurtd.log" || true

say "Writing the Oss examples through the daemon"
b put profile --id haren name="Dorpsraad Haren" area=Haren \
    municipality=Oss 'functions:=["representative","advisory","activating","connecting"]' \
    contact="Through this node; the council meets monthly in De Haar." \
    description="Village council of Haren, a village of the municipality of Oss."
b put place --id de-haar name="Community centre De Haar" \
    category=community-centre setting=indoor lat:=51.7731 lon:=5.4922 \
    'accessibility:=["wheelchair","accessible-toilet"]' \
    managed_by="Stichting De Haar"
b put initiative --id kookclub-haren <<'JSON'
{"title": "Kookclub Haren",
 "description": "Once a month the community centre De Haar turns into a restaurant for people connected to Haren, who pay a small contribution. Running for seven years with the same volunteers; now also lunches and coffee mornings.",
 "pillar": "social-ties", "status": "running",
 "roles": ["initiators", "volunteer cooks"], "place": "place/de-haar",
 "tags": ["food", "meeting", "elderly"]}
JSON
b put initiative --id urban-ox-park <<'JSON'
{"title": "Urban Ox Park",
 "description": "Residents who want an urban sports park - skate bowl, pump track, calisthenics - for beginners, advanced and disabled athletes, in a green park. The municipality helped find a feasible spot in the Sibeliuspark; the initiators remain owners.",
 "pillar": "living-environment", "status": "preparing",
 "roles": ["initiators"], "area": "Oss",
 "funding_amount": 2500000, "funding_purpose": "Crowdfunding for the pump track",
 "tags": ["sport", "youth", "inclusion"]}
JSON
b put initiative --id heksje-route <<'JSON'
{"title": "Heksje Route",
 "description": "A children's trail in the Geffense Bosjes with branch huts, slalom posts, stepping logs, climbing trees, a picnic table, balance beams, birdhouses and witch hats as route markers, and QR posts with facts about the forest. Started by a district council member, run by neighbours, who raise their own money.",
 "pillar": "living-environment", "status": "running", "area": "Geffen",
 "tags": ["children", "nature", "play"]}
JSON
b put activity --id kookclub-december title="Kookclub dinner" \
    start=2026-12-11T18:00 place=place/de-haar \
    initiative=initiative/kookclub-haren cost_cents:=750 \
    recurrence="monthly, second Friday"
b put story --id kookclub-seven-years title="Seven years of Kookclub" \
    initiative=initiative/kookclub-haren \
    achieved="Eighty dinners, and lunches and coffee mornings besides." \
    contributions="The same volunteers cook every month; De Haar gives the room; one grant paid for the kitchen." \
    participants_view="Guests say it is the evening of the month they look forward to."
b put agenda --id loneliness theme="Loneliness among older residents" \
    description="Older residents living alone meet fewer people since the shop closed." \
    status=discussing perspective_residents="More informal meeting places nearby." \
    'initiatives:=["initiative/kookclub-haren"]'
b put offer --id help-with-forms title="Help with forms and letters" \
    mode=can-for-another area=Haren availability="weekday evenings"
b put request --id lift-to-hospital title="A lift to the hospital in Oss" \
    area=Haren availability="Tuesday mornings"

say "A write that breaks its kind's schema is refused, naming the field"
b put initiative title="Without a pillar" description="Refused" \
    status=idea && exit 1 || echo "(refused, exit status $?)"

say "Reading back (each record's signature and body hash verified)"
b get initiative kookclub-haren
b list initiative

say "Erasing a request (right to be forgotten): body gone, chain intact"
b erase request lift-to-hospital
b get request lift-to-hospital

say "The whole log, every signature and prev link checked"
b log

say "Status"
b status

say "Stopping buurtd"
kill -TERM "$pid"
wait "$pid"
pid=
echo "buurtd stopped cleanly; demo done."
