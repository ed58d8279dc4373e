#!/usr/bin/env bash
# Chapter 02 benchmark (issue #4): PCA with 50 components on the 60,000 MNIST
# training images, latent (bench/ch02_bench.cpp) beside scikit-learn's
#   PCA(50, svd_solver='full').fit(X)  and  PCA(50, svd_solver='randomized', random_state=0).fit(X)
# (the two PCA lines of /work/shared/bench/sk_ref.py, with X float32 in [0, 1]
# as there), run workload by workload, alternating the two sides so both see
# the same machine load. Then one table:
#   workload  threads  latent s  scikit-learn s  speed ratio (sklearn time / latent time)  explained
# latent's pca50_covariance_eigh row is compared with scikit-learn's 'full'
# (the same answer by another route; scikit-learn 1.2 has no covariance_eigh).
#
# Usage: bench/run_ch02.sh [workload ...]   (full randomized covariance_eigh; default all)
# Env:   PYTHON (default /usr/bin/python3, which has scikit-learn), THREADS
#        (default "2"; e.g. "1 2"), RUNS (default 1: the median of RUNS runs per
#        side), SKIP_BUILD=1, BENCH_BIN (default build/release/bench/ch02_bench),
#        LATENT_DATA (the full MNIST; default data/mnist, see scripts/fetch-data).
# Timings on a shared machine are noisy, and multi-threaded LAPACK suffers most
# when other processes hold the cores: the load average is printed with the
# results, with a warning when the machine was busy.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH_BIN=${BENCH_BIN:-build/release/bench/ch02_bench}
MNIST_DIR=${LATENT_DATA:-data/mnist}
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -eq 0 ] && WORKLOADS=(full randomized covariance_eigh)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target ch02_bench
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat >"$out/sk.py" <<'EOF'
import sys, time
import numpy as np

def idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(dims)

mnist, threads, solver = sys.argv[1], sys.argv[2], sys.argv[3]
X = idx(mnist + '/train-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255
from sklearn.decomposition import PCA
kw = {'random_state': 0} if solver == 'randomized' else {}
t = time.perf_counter()
p = PCA(50, svd_solver=solver, **kw).fit(X)
t = time.perf_counter() - t
print(f'pca50_{solver}_mnist60k threads={threads} {t:.3f} s explained={p.explained_variance_ratio_.sum():.4f}')
EOF

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= ${RUNS:-1}; run++)); do
  for th in ${THREADS:-2}; do
    for w in "${WORKLOADS[@]}"; do
      echo "== $w threads=$th (run $run)" >&2
      OMP_NUM_THREADS=$th LATENT_DATA=$MNIST_DIR "$BENCH_BIN" --threads "$th" "pca50_$w" | tee -a "$out/latent.txt" >&2
      if [ "$w" != covariance_eigh ]; then
        OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th "$PYTHON" "$out/sk.py" "$MNIST_DIR" "$th" "$w" |
          tee -a "$out/peer.txt" >&2
      fi
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$out/latent.txt" "$out/peer.txt" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import statistics, sys

def read(path):  # (name, threads) -> (median seconds, last explained)
    rows = {}
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) != 5 or not parts[1].startswith('threads='):
            continue
        key = (parts[0], int(parts[1][len('threads='):]))
        rows.setdefault(key, ([], None))
        rows[key] = (rows[key][0] + [float(parts[2])], parts[4].split('=')[1])
    return {k: (statistics.median(v), e) for k, (v, e) in rows.items()}

lat, peer = read(sys.argv[1]), read(sys.argv[2])
print(f'\nmachine load average (1/5/15 min): before {sys.argv[3]}, after {sys.argv[4]}')
if max(float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0])) > int(sys.argv[5]) - 0.5:
    print(f'WARNING: other processes were using the {sys.argv[5]} cores: the timings are not '
          'reliable (multi-threaded LAPACK suffers most); rerun on a quiet machine')
print('speed ratio = scikit-learn seconds / latent seconds (> 1: latent faster)\n')
hdr = f"{'workload':32} {'thr':>3} {'latent s':>9} {'sklearn s':>9} {'peer':>10} {'ratio':>6}  explained latent / sklearn"
print(hdr)
print('-' * len(hdr))
for (name, th), (t, e) in lat.items():
    peer_name = name.replace('covariance_eigh', 'full')
    p = peer.get((peer_name, th))
    ps, ratio, pe = ('-', '-', '-') if p is None else (f'{p[0]:.2f}', f'{p[0] / t:.2f}', p[1])
    label = peer_name.split('_')[1] if p else ''
    print(f'{name:32} {th:>3} {t:>9.2f} {ps:>9} {label:>10} {ratio:>6}  {e} / {pe}')
EOF
