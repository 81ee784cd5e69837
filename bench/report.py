#!/usr/bin/env python3
"""report.py RAW VMRAW OUTDIR ROUNDS TRIALS: turns bench/run's raw lines into
OUTDIR/latest.md and latest.json (and a dated copy of the JSON)."""
import datetime
import json
import os
import platform
import sys

raw, vmraw, outdir, rounds, trials = sys.argv[1:6]
data = {"spawn": {}, "supervise": {}, "leash": {}, "leash_vm_emulated": {}, "ladder": None,
        "fanout": [], "spawn_vm_emulated": {}, "vm_modes": {}}
runs = {}
for line in open(raw):
    f = line.split()
    if not f:
        continue
    if f[0] == "spawn":
        data["spawn"][f[1]] = {"median_ms": float(f[2]), "p95_ms": float(f[3])}
        if len(f) > 4:
            data["spawn"][f[1]]["cpu_median_ms"] = float(f[4])
    elif f[0] == "super":
        runs.setdefault(f[1], []).append({"cpu_ms": float(f[2]), "ctxsw": int(f[3]),
                                          "wakeups_per_s": float(f[4]),
                                          "peak_rss_kib": int(f[5])})
    elif f[0] == "load":
        data.setdefault("load", {})[f[1]] = [float(x) for x in f[2:5]]
    elif f[0] == "leash":
        data["leash"][f[1]] = {"median_ms": float(f[2]), "p99_ms": float(f[3]),
                               "max_ms": float(f[4])}
    elif f[0] == "ladder":
        data["ladder"] = {"median_ms": float(f[1]), "min_ms": float(f[2]), "max_ms": float(f[3])}
    elif f[0] == "fanout":
        data["fanout"].append({"command": f[1], "spawns": int(f[2]), "seconds": float(f[3]),
                               "per_s": float(f[4]), "zombies_left": int(f[5]),
                               "in_flight": int(f[6])})
def median(v):
    v = sorted(v)
    return v[len(v) // 2]
for name, rs in runs.items():
    data["supervise"][name] = {k: median([r[k] for r in rs]) for k in rs[0]}
    data["supervise"][name]["runs"] = len(rs)
    data["supervise"][name]["peak_rss_kib_all"] = [r["peak_rss_kib"] for r in rs]
if vmraw and os.path.exists(vmraw):
    for line in open(vmraw):
        f = line.split()
        if len(f) == 4 and f[0].startswith("leash-"):
            data["leash_vm_emulated"][f[0]] = {"median_ms": float(f[1]), "p99_ms": float(f[2]),
                                               "max_ms": float(f[3])}
        elif len(f) == 5 and f[0] == "spawn-vm":
            data["spawn_vm_emulated"][f[1]] = {"median_ms": float(f[2]), "p95_ms": float(f[3]),
                                               "cpu_median_ms": float(f[4])}
        elif f and f[0] == "modes":
            data["vm_modes"] = dict(x.split("=", 1) for x in f[1:] if "=" in x)
now = datetime.datetime.now(datetime.timezone.utc)
model = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        model = line.split(":", 1)[1].strip()
        break
data["machine"] = {"kernel": platform.release(), "cpus": os.cpu_count(), "cpu": model,
                   "date": now.strftime("%Y-%m-%d %H:%M UTC"), "rounds": int(rounds),
                   "trials": int(trials)}

sp = data["spawn"]
bare = sp.get("bare", {}).get("median_ms")
setsid = sp.get("setsid-w", {}).get("median_ms")
floor = sp.get("floor", {}).get("median_ms")
m = data["machine"]
floor_cpu = sp.get("floor", {}).get("cpu_median_ms")
load = data.get("load", {})
md = [f"Measured {m['date']} on Linux {m['kernel']}, {m['cpus']} CPUs ({m['cpu']}); "
      f"`make bench` (bench/run). Medians over {m['rounds']} round-robin runs."]
if load:
    md[0] += (" Load average (1, 5, 15 min) at the start: "
              f"{', '.join(f'{x:.2f}' for x in load.get('start', []))}; at the end: "
              f"{', '.join(f'{x:.2f}' for x in load.get('end', []))}.")
md += ["", "Spawn overhead (`true` through each wrapper, fork to exit; CPU: user + system time "
       "of the whole tree, COMMAND included, which depends less on the load):", "",
       "| command | median ms | p95 ms | × bare | × setsid -w | × floor | CPU ms | CPU × floor |",
       "|---|---|---|---|---|---|---|---|"]
for name, v in sp.items():
    r = lambda base: f"{v['median_ms'] / base:.2f}" if base else "-"
    cpu = v.get("cpu_median_ms")
    md.append(f"| {name} | {v['median_ms']:.3f} | {v['p95_ms']:.3f} | {r(bare)} | {r(setsid)} "
              f"| {r(floor)} | {f'{cpu:.3f}' if cpu is not None else '-'} | "
              f"{f'{cpu / floor_cpu:.2f}' if cpu is not None and floor_cpu else '-'} |")
md += ["", "Supervising `sleep` for 2 s (the wrapper process alone; medians of 3 runs, every "
       "run's peak RSS in brackets):", "",
       "| wrapper | CPU ms | context switches | wake-ups/s | peak RSS KiB |", "|---|---|---|---|---|"]
for name, v in data["supervise"].items():
    md.append(f"| {name} | {v['cpu_ms']:.1f} | {v['ctxsw']} | {v['wakeups_per_s']:.2f} | "
              f"{v['peak_rss_kib']} ({', '.join(map(str, v['peak_rss_kib_all']))}) |")
vsp = data["spawn_vm_emulated"]
if vsp.get("floor"):
    vf = vsp["floor"]["median_ms"]
    modes = ", ".join(f"{k} in {v} mode" for k, v in data["vm_modes"].items())
    md += ["", "Spawn overhead on Linux 7.2 under qemu (software emulation: every figure is "
           f"some 100 times this machine's, and noisy; compare only the ratios, against the "
           f"floor of the same guest run; {modes} where no --mode is given). Wall time only: "
           "a COMMAND reaped by the kernel (CLONE_AUTOREAP) is never waited for, so its CPU "
           "time is missing from the tree's:", "",
           "| command | median ms | p95 ms | × floor |", "|---|---|---|---|"]
    for name, v in vsp.items():
        md.append(f"| {name} (emulated) | {v['median_ms']:.3f} | {v['p95_ms']:.3f} | "
                  f"{v['median_ms'] / vf:.2f} |")
md += ["", f"Leash latency, SIGKILL of autokill to COMMAND's death ({m['trials']} trials):", "",
       "| mode | median ms | p99 ms | max ms |", "|---|---|---|---|"]
for name, v in data["leash"].items():
    md.append(f"| {name} (this machine) | {v['median_ms']:.3f} | {v['p99_ms']:.3f} | {v['max_ms']:.3f} |")
for name, v in data["leash_vm_emulated"].items():
    md.append(f"| {name} (Linux 7.2, qemu TCG, emulated) | {v['median_ms']:.3f} | {v['p99_ms']:.3f} | "
              f"{v['max_ms']:.3f} |")
if data["ladder"]:
    l = data["ladder"]
    md += ["", f"Ladder precision (gap between steps minus the 200 ms grace, 10 runs): median "
           f"{l['median_ms']:.3f} ms, min {l['min_ms']:.3f}, max {l['max_ms']:.3f}."]
if data["fanout"]:
    md += ["", "Fan-out from one parent under a reaping subreaper:", "",
           "| command | spawns | in flight | seconds | spawns/s | zombies left |",
           "|---|---|---|---|---|---|"]
    for f in data["fanout"]:
        name = "`autoreap /bin/true`" if f["command"] == "autoreap" else "`/bin/true` (bare)"
        md.append(f"| {name} | {f['spawns']} | {f['in_flight']} | {f['seconds']:.2f} | "
                  f"{f['per_s']:.0f} | {f['zombies_left']} |")
    for f in data["fanout"]:
        base = [b for b in data["fanout"] if b["command"] != "autoreap" and
                b["in_flight"] == f["in_flight"]]
        if f["command"] == "autoreap" and base:
            md.append(f"\n`autoreap /bin/true`, {f['in_flight']} in flight: "
                      f"{f['per_s'] / base[0]['per_s']:.0%} of the bare command's rate.")
os.makedirs(outdir, exist_ok=True)
open(os.path.join(outdir, "latest.md"), "w").write("\n".join(md) + "\n")
js = json.dumps(data, indent=1)
open(os.path.join(outdir, "latest.json"), "w").write(js + "\n")
open(os.path.join(outdir, now.strftime("results-%Y%m%d-%H%M.json")), "w").write(js + "\n")
print("\n".join(md))
