#!/usr/bin/env bash
# Chapter 03 benchmarks (issue #4) beside scikit-learn: build ch03_bench
# (release preset), then, for each thread count, run it and the scikit-learn
# peer below one after the other (so both see the same machine load), and
# print one table
#   workload  threads  latent s  iters  sklearn s  iters  time ratio latent/sklearn
# followed by the issue's goal (k-means at most 0.5x scikit-learn's time).
#
#   kmeans lloyd    k = 10, 60,000 MNIST images, n_init = 1, at most 100 iterations,
#                   tol = 0, both from the same k-means++ centres (ch03_bench writes them)
#                   vs KMeans(10, init=centres, n_init=1, algorithm='lloyd', max_iter=100, tol=0)
#   kmeans hamerly  the same, vs scikit-learn's accelerated exact variant, algorithm='elkan'
#   gmm             GaussianMixture(10, covariance_type='full', max_iter=100) on the 50 PCA
#                   features of 20,000 images, both from the same initial mixture
# Equal starts give equal iteration counts (the table shows both); the ratio
# is of total fit time, the per-iteration ratio is printed as well.
# With SK_REF=1 (default) the exact calls of /work/shared/bench/sk_ref.py
# (scikit-learn's own k-means++ / PCA, random_state=0) run too, for reference.
#
# Usage: bench/run_ch03.sh [kmeans|gmm ...]     (default: both)
# Env:   PYTHON (default /usr/bin/python3, which has scikit-learn), THREADS (default "1 2"),
#        SKIP_BUILD=1, BENCH=path/to/ch03_bench (default build/release/bench/ch03_bench),
#        RUNS=n (default 1; the table shows the median), SK_REF=0|1.
# Needs the full MNIST in data/mnist (scripts/fetch-data).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH=${BENCH:-build/release/bench/ch03_bench}
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -eq 0 ] && WORKLOADS=(kmeans gmm)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target ch03_bench
fi
ls data/mnist/train-images-idx3-ubyte* >/dev/null 2>&1 || { echo "needs the full MNIST: scripts/fetch-data" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat >"$out/sk_ch03.py" <<'EOF'
# The scikit-learn side: the same starts as latent (files written by ch03_bench).
import gzip, os, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

threads, files, mnist, sk_ref = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == '1'
what = sys.argv[5:]

def idx(path):
    if not os.path.exists(path): path += '.gz'
    data = open(path, 'rb').read()
    if data[:2] == b'\x1f\x8b': data = gzip.decompress(data)
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(dims)

def report(name, secs, iters, quality, extra=''):
    print(f'workload={name} threads={threads} seconds={secs:.4f} iters={iters} quality={quality:.6f}{extra}', flush=True)

def timed(fn):
    t = time.perf_counter(); r = fn(); return time.perf_counter() - t, r

# latent scales pixels as u8 * (1/255) in float32 (x / 255 differs in the last bit of some values).
X = idx(os.path.join(mnist, 'train-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) * np.float32(1 / 255)
with threadpool_limits(threads):
    if 'kmeans' in what:
        init = np.load(os.path.join(files, 'kmeans_init.npy'))
        for algo in ('lloyd', 'elkan'):
            t, k = timed(lambda: KMeans(10, init=init, n_init=1, algorithm=algo, max_iter=100, tol=0).fit(X))
            C = k.cluster_centers_.astype(np.float64)
            recount = ((X.astype(np.float64) - C[k.labels_]) ** 2).sum()  # its float32 inertia_, recounted in float64
            report(f'sk_kmeans_{algo}_same_init', t, k.n_iter_, recount, f' reported_inertia={k.inertia_:.1f}')
            if sk_ref:  # /work/shared/bench/sk_ref.py's call
                t, k = timed(lambda: KMeans(10, n_init=1, algorithm=algo, random_state=0, max_iter=100).fit(X))
                report(f'sk_ref_kmeans10_{algo}_mnist60k', t, k.n_iter_, k.inertia_)
    if 'gmm' in what:
        d = np.load(os.path.join(files, 'gmm_pca50.npz'))
        Z = d['features']
        t, g = timed(lambda: GaussianMixture(10, covariance_type='full', weights_init=d['weights'], means_init=d['means'],
                                             precisions_init=np.linalg.inv(d['covariances']), max_iter=100).fit(Z))
        report('sk_gmm_same_init', t, g.n_iter_, g.score(Z))
        if sk_ref:
            Zs = PCA(50, random_state=0).fit_transform(X[:20000])
            t, g = timed(lambda: GaussianMixture(10, covariance_type='full', random_state=0, max_iter=100).fit(Zs))
            report('sk_ref_gmm10_full_pca50_mnist20k', t, g.n_iter_, g.score(Zs))
EOF

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= ${RUNS:-1}; run++)); do
  for th in ${THREADS:-1 2}; do
    echo "== threads $th (run $run)" >&2
    "$BENCH" "$th" "$out/files" "${WORKLOADS[@]}" | tee -a "$out/latent.txt" >&2
    "$PYTHON" "$out/sk_ch03.py" "$th" "$out/files" data/mnist "${SK_REF:-1}" "${WORKLOADS[@]}" | tee -a "$out/peer.txt" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$out/latent.txt" "$out/peer.txt" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import statistics, sys

sys.path.insert(0, 'bench')
from bench_rows import read_rows as read  # (workload, threads) -> {field: median over runs}

lat, peer = read(sys.argv[1]), read(sys.argv[2])
print(f'\nmachine load average (1/5/15 min): before {sys.argv[3]}, after {sys.argv[4]}')
if max(float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0])) > int(sys.argv[5]) - 0.5:
    print(f'WARNING: other processes were using the {sys.argv[5]} cores: timings are noisy; rerun on a quiet machine')
print('time ratio = latent seconds / scikit-learn seconds (< 1: latent faster); quality = inertia '
      '(lower is better; scikit-learn\'s recounted in float64) or average log-likelihood (higher is better)\n')
pairs = [('kmeans_lloyd_mnist60k', 'sk_kmeans_lloyd_same_init'),
         ('kmeans_hamerly_mnist60k', 'sk_kmeans_elkan_same_init'),
         ('kmeans_hamerly_mnist60k', 'sk_kmeans_lloyd_same_init'),
         ('gmm10_full_pca50_mnist20k', 'sk_gmm_same_init')]
hdr = (f"{'latent':26} {'scikit-learn':26} {'thr':>3} {'latent s':>9} {'it':>4} {'sklearn s':>9} {'it':>4}"
       f" {'ratio':>6} {'per-it':>6}  {'quality latent':>15} {'quality sklearn':>15}")
print(hdr); print('-' * len(hdr))
goals = []
for (a, b) in pairs:
    for (name, th), L in sorted(lat.items()):
        if name != a or (b, th) not in peer: continue
        P = peer[(b, th)]
        ratio = L['seconds'] / P['seconds']
        per_it = (L['seconds'] / L['iters']) / (P['seconds'] / P['iters'])
        print(f"{a:26} {b:26} {th:>3} {L['seconds']:9.3f} {L['iters']:4.0f} {P['seconds']:9.3f} {P['iters']:4.0f}"
              f" {ratio:6.2f} {per_it:6.2f}  {L['quality']:15.4f} {P['quality']:15.4f}")
        if a.startswith('kmeans') and b in ('sk_kmeans_lloyd_same_init', 'sk_kmeans_elkan_same_init') and \
                (a, b) in (pairs[0], pairs[1]):
            goals.append((f'{a} <= 0.5x {b}, threads={th}', ratio <= 0.5, f'{ratio:.2f}x'))
            better = L['quality'] <= P['quality'] * (1 + 1e-7)
            goals.append((f'{a} inertia same or lower, threads={th}', better,
                          f"{L['quality']:.1f} vs {P['quality']:.1f}"))
refs = [(k, v) for k, v in sorted(peer.items()) if k[0].startswith('sk_ref')]
if refs:
    print('\nscikit-learn with its own start (sk_ref.py\'s calls):')
    for (name, th), P in refs:
        print(f"  {name:34} threads={th} {P['seconds']:8.3f} s  iters {P['iters']:.0f}  quality {P['quality']:.4f}")
print('\ngoals (issue #4):')
for desc, ok, detail in goals:
    print(f"  {'met   ' if ok else 'MISSED'} {desc:62} {detail}")
EOF
