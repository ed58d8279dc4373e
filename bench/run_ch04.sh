#!/usr/bin/env bash
# Chapter 04 benchmarks (issue #5) beside scikit-learn, on the fortunes corpus:
# build ch04_bench (release preset), write the peers' bag of words and seeded
# 90/10 split with /work/shared/bench/fortunes_corpus.py, then run, one after the
# other (same machine load), on one thread:
#
#   ch04_bench      latent's own reader (checked against the peer's counts), the
#                   split rows the script wrote (train.docs / test.docs):
#                   Gibbs tokens/s (plain vs SparseLDA, K = 20, 100, 1000), the K = 20
#                   fit (asymmetric α learned every 5th sweep) timed to a
#                   document-completion perplexity <= 4240, its spread over seeds, and
#                   variational EM (K = 20, 20 iterations) time per iteration
#   lda_ref.py      scikit-learn LatentDirichletAllocation(20, batch VB, 20 iterations)
#                   on the same split, scored with the same document-completion estimator
#
# and print one table with the ratios, then the issue's goals.
#
# Usage: bench/run_ch04.sh [workload-prefix ...]   (default: all; e.g. gibbs fit_sparse vem)
# Env:   PYTHON (default /usr/bin/python3, with scikit-learn), SKIP_BUILD=1,
#        BENCH=path/to/ch04_bench, BOW_DIR (default: a temporary folder),
#        PEER_DIR (default /work/shared/bench; the scripts fortunes_corpus.py and lda_ref.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH=${BENCH:-build/release/bench/ch04_bench}
PEER_DIR=${PEER_DIR:-/work/shared/bench}
[ -d /usr/share/games/fortunes ] || { echo "needs the Debian package 'fortunes' (scripts/setup)" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target ch04_bench
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bow=${BOW_DIR:-$out/bow}
"$PYTHON" "$PEER_DIR/fortunes_corpus.py" "$bow" >&2

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== latent" >&2
OMP_NUM_THREADS=1 "$BENCH" "$bow" "$@" | tee "$out/latent.txt" >&2
echo "== scikit-learn" >&2
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" "$PEER_DIR/lda_ref.py" "$bow" | tee "$out/peer.txt" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$out/latent.txt" "$out/peer.txt" "$load_before" "$load_after" "$(nproc)" <<'PY'
import re, sys
lat = [dict(kv.split('=', 1) for kv in l.split() if '=' in kv) for l in open(sys.argv[1]) if l.startswith('workload=')]
peer = open(sys.argv[2]).read()
m = re.search(r'fit ([\d.]+)s doc_completion_perplexity ([\d.]+)', peer)
sk_s, sk_ppl = (float(m.group(1)), float(m.group(2))) if m else (None, None)
print(f'\nmachine load average (1/5/15 min): before {sys.argv[3]}, after {sys.argv[4]}')
if max(float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0])) > int(sys.argv[5]) - 0.5:
    print(f'WARNING: other processes were using the {sys.argv[5]} cores: timings are noisy; rerun on a quiet machine')
goals = []
tps = {r['workload']: float(r['tokens_per_second']) for r in lat if r['workload'].startswith('gibbs_')}
cps = {r['workload']: float(r['tokens_per_cpu_second']) for r in lat if r['workload'].startswith('gibbs_')}
if cps:
    print('\nGibbs tokens per CPU second of the sampling thread (what a quiet core would give):')
    print(f"{'K':>6} {'plain':>10} {'SparseLDA':>10} {'speed-up':>9}")
    for K in (20, 100, 1000):
        p, s = cps.get(f'gibbs_plain_k{K}'), cps.get(f'gibbs_sparse_k{K}')
        if p and s:
            print(f'{K:>6} {p:10.3g} {s:10.3g} {s / p:8.2f}x')
if tps:
    print('\nGibbs tokens per wall-clock second, one thread (all sweeps from the random start):')
    print(f"{'K':>6} {'plain':>10} {'SparseLDA':>10} {'speed-up':>9}")
    warp = {20: 1.85e7, 100: 1.5e7}
    for K in (20, 100, 1000):
        p, s = tps.get(f'gibbs_plain_k{K}'), tps.get(f'gibbs_sparse_k{K}')
        if p and s:
            print(f'{K:>6} {p:10.3g} {s:10.3g} {s / p:8.2f}x')
            if K in warp:
                goals.append((f'SparseLDA >= WarpLDA tokens/s at K={K} ({warp[K]:.3g}, measured earlier), wall', s >= warp[K], f'{s:.3g}'))
                c = cps.get(f'gibbs_sparse_k{K}')
                goals.append((f'  ... per CPU second of the thread', c >= warp[K], f'{c:.3g}'))
    ups = [tps[f'gibbs_sparse_k{K}'] / tps[f'gibbs_plain_k{K}'] for K in (20, 100, 1000)
           if f'gibbs_sparse_k{K}' in tps and f'gibbs_plain_k{K}' in tps]
    if len(ups) == 3:
        goals.append(('speed-up over the plain sampler grows with K', ups[0] < ups[1] < ups[2],
                      ' < '.join(f'{u:.2f}' for u in ups)))
fits = [r for r in lat if r['workload'].startswith('fit_') and not r['workload'].endswith('_to_target')]
if fits:
    print('\nK = 20 fits, document-completion perplexity (fit + held-out fold-in, wall seconds):')
    print(f"{'model':28} {'sweeps/iters':>12} {'seconds':>8} {'perplexity':>10} {'time / sklearn':>15} {'CPU s':>7}")
    for r in fits:
        ratio = f"{float(r['seconds']) / sk_s:.3f}" if sk_s else '-'
        print(f"{r['workload']:28} {r['sweeps']:>12} {float(r['seconds']):8.2f} {float(r['perplexity']):10.1f} {ratio:>15}"
              f" {float(r['cpu_seconds']):7.2f}")
seeds = [r for r in lat if r['workload'] == 'seeds_sparse_k20']
for n in sorted({int(r['sweeps']) for r in seeds}):
    ps = [float(r['perplexity']) for r in seeds if int(r['sweeps']) == n]
    cs = [float(r['cpu_seconds']) for r in seeds if int(r['sweeps']) == n]
    print(f"{'fit_sparse_k20, seeds 0-4':28} {n:>12} {'':>8} {sum(ps) / len(ps):10.1f}   (mean; per seed "
          + ', '.join(f'{p:.1f}' for p in ps) + f'; CPU s {min(cs):.2f}-{max(cs):.2f})')
    goals.append((f'seeds 0-4, {n} sweeps: every seed <= 4240', max(ps) <= 4240, f'worst {max(ps):.1f}'))
for r in lat:
    if r['workload'] == 'vem_k20':
        print(f"{'vem_k20 (variational EM)':28} {r['iters']:>12} {float(r['seconds']):8.2f} {float(r['perplexity']):10.1f}"
              f" {float(r['seconds']) / sk_s if sk_s else 0:15.3f}   ({float(r['seconds_per_iter']):.3f} s per iteration)")
if sk_s:
    print(f"{'sklearn batch VB (lda_ref.py)':28} {20:>12} {sk_s:8.2f} {sk_ppl:10.1f} {1:15.3f}")
for r in lat:
    if r['workload'].endswith('_to_target'):
        s = float(r['seconds'])
        ok = 0 < s < 1.9
        goals.append((f"{r['workload'][:-10]}: perplexity <= 4240 in < 1.9 s (wall)", ok,
                      f"{s:.2f} s at {r['sweeps']} sweeps" if s > 0 else 'not reached in 200 sweeps'))
        c = float(r['cpu_seconds'])
        if c > 0:
            goals.append((f"{r['workload'][:-10]}: the same in CPU seconds of the thread", c < 1.9, f'{c:.2f} CPU s'))
        if sk_s and s > 0:
            goals.append((f"{r['workload'][:-10]}: faster than scikit-learn to a lower perplexity", s < sk_s,
                          f'{s / sk_s:.3f}x its time'))
print('\ngoals (issue #5):')
for desc, ok, detail in goals:
    print(f"  {'met   ' if ok else 'MISSED'} {desc:66} {detail}")
PY
