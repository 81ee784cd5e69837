#!/bin/bash
# demo.sh: the leash holding. autokill runs a worker; autokill is SIGKILLed; the worker is
# taken down anyway (by the kernel at once on Linux 7.1+, else by the userspace ladder).
# Runs under the test suite's subreaper harness, so that nothing is left behind.
set -eu
b=${top_builddir:-.}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/worker" <<'W'
#!/bin/sh
trap 'echo "  worker: got HUP, carrying on"' HUP
trap 'echo "  worker: got TERM, exiting"; exit 0' TERM
echo $$ >"$1"
while :; do sleep 0.1; done
W
chmod +x "$dir/worker"

echo "== what this kernel offers"
"$b/autokill" --features | sed 's/^/  /'
echo "== autokill -v -g 1 worker &   (then: kill -9 autokill)"
"$b/tests/helpers/subreaper" -w -r /dev/null bash -c '
	"$1/autokill" -v -g 1 "$2/worker" "$2/pid" &
	ak=$!
	while [ ! -s "$2/pid" ]; do sleep 0.05; done
	w=$(cat "$2/pid")
	echo "  worker $w is running under autokill $ak"
	kill -9 "$ak"
	echo "  autokill $ak: SIGKILLed"
	start=$(date +%s.%N)
	while [ -e /proc/$w ] && [ "$(cut -d" " -f3 /proc/$w/stat 2>/dev/null)" != Z ]; do sleep 0.01; done
	echo "  worker $w: gone $(awk -v a="$start" -v b="$(date +%s.%N)" "BEGIN {printf \"%.2f\", b - a}")s after autokill died"
' demo "$b" "$dir"
echo "== the leash held: nothing that autokill started is left"
