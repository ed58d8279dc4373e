#!/usr/bin/env bash
# Benchmarks of the core (issue #2): build core_bench (release preset), run it
# and its PyTorch peer (bench/torch_core.py) workload by workload, alternating
# the two so both see the same machine load, then print one table
#   workload  threads  latent  peer  unit  speed ratio latent/peer
# followed by the goals of the issue, each marked met or MISSED.
#
# Usage: bench/run_core.sh [workload ...]    (matmul conv elementwise mlp; default all)
# Env:   PYTHON (default /usr/bin/python3, which has torch), SKIP_BUILD=1,
#        RUNS=n (default 1): run each side n times, alternating, and report the
#        median of the n runs' figures.
# Timings on a shared machine are noisy: the load average is printed with the
# results, with a warning when the machine was busy; rerun then.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -eq 0 ] && WORKLOADS=(matmul conv elementwise mlp)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target core_bench
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= ${RUNS:-1}; run++)); do
  for w in "${WORKLOADS[@]}"; do
    echo "== $w (run $run)" >&2
    build/release/bench/core_bench "$w" | tee -a "$out/latent.txt" >&2
    "$PYTHON" bench/torch_core.py "$w" | tee -a "$out/peer.txt" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$out/latent.txt" "$out/peer.txt" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import statistics, sys

def read(path):  # (name, threads) -> (median over runs, unit), in first-seen order
    rows = {}
    for line in open(path):
        parts = line.split()
        if len(parts) != 4 or not parts[1].startswith('threads='):
            continue
        name, th, value, unit = parts
        rows.setdefault((name, int(th[len('threads='):])), ([], unit))[0].append(float(value))
    return {k: (statistics.median(v), u) for k, (v, u) in rows.items()}

lat, peer = read(sys.argv[1]), read(sys.argv[2])
higher_better = {'GFLOP/s', 'GB/s'}
print(f'\nmachine load average (1/5/15 min): before {sys.argv[3]}, after {sys.argv[4]}')
if max(float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0])) > int(sys.argv[5]) - 0.5:
    print(f'WARNING: other processes were using the {sys.argv[5]} cores: the timings '
          '(above all threads=2) are not reliable; rerun on a quiet machine')
print('speed ratio = latent speed / PyTorch speed (> 1: latent faster); '
      '_vs_ rows are each side against its own baseline\n')
hdr = f"{'workload':34} {'thr':>3} {'latent':>10} {'pytorch':>10}  {'unit':9} {'speed ratio':>11}"
print(hdr)
print('-' * len(hdr))
for (name, th), (v, unit) in lat.items():
    p = peer.get((name, th))
    ps, ratio = ('-', '-')
    if p:
        ps = f'{p[0]:.4g}'
        if unit in higher_better:
            ratio = f'{v / p[0]:.2f}'
        elif unit.startswith('ms'):
            ratio = f'{p[0] / v:.2f}'
    print(f'{name:34} {th:>3} {v:>10.4g} {ps:>10}  {unit:9} {ratio:>11}')

print('\ngoals (latent):')
def goal(desc, ok, detail):
    print(f"  {'met   ' if ok else 'MISSED'} {desc:52} {detail}")
for (name, th), (v, unit) in lat.items():
    if name == 'matmul_1024_vs_cblas':
        goal(f'matmul >= 95% of direct sgemm, threads={th}', v >= 0.95, f'{v:.3f}')
    elif name == 'conv3x3_64c_14px_b64' and (name, th) in peer:
        p = peer[(name, th)][0]
        goal(f'conv fwd+bwd no slower than PyTorch, threads={th}', v <= p, f'{v:.2f} vs {p:.2f} ms')
    elif name.endswith('_vs_copy'):
        goal(f'{name[:-len("_vs_copy")]} >= 70% of copy bandwidth, threads={th}', v >= 0.70, f'{v:.2f}')
    elif name == 'mlp_784_400_20_b128_vs_gemms':
        goal(f'MLP fwd+bwd <= 1.2x its GEMMs, threads={th}', v <= 1.2, f'{v:.2f}x')
EOF
