#!/usr/bin/env bash
# Chapter 07 benchmark beside PyTorch: build ch07_bench (release preset), then, for each
# thread count, train pytorch/examples' VAE with latent and with PyTorch one after the
# other (so both see the same machine load), and print one table per thread count:
# seconds and test loss per epoch, totals, and the time ratio (latent / PyTorch, < 1:
# latent faster).
#
#   vae_mlp   784-400-20-400-784, ReLU, Bernoulli decoder on grey-level MNIST: summed BCE +
#             closed-form KL, Adam 1e-3, batch 128, EPOCHS epochs on the 60,000 training
#             images; test loss = that loss per image on the 10,000 test images, one ε
#             sample each (bench/ch07_bench.cpp vs bench/torch_vae.py, pytorch/examples'
#             vae/main.py setting). Each epoch's seconds include its test pass.
#
# The anchor (pytorch/examples at 2 threads on this kind of machine): 99 s for 10 epochs,
# test loss 105.3 per image.
#
# Usage: bench/run_ch07.sh
# Env:   THREADS (default "1": the machine is shared; "1 2" on a quiet one), EPOCHS (default 10),
#        PYTHON (default /usr/bin/python3, which has torch), SKIP_BUILD=1,
#        BENCH=path/to/ch07_bench (default build/release/bench/ch07_bench), LATENT_DATA (default data/mnist).
# Needs the full MNIST (scripts/fetch-data).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH=${BENCH:-build/release/bench/ch07_bench}
MNIST_DIR=${LATENT_DATA:-data/mnist}
EPOCHS=${EPOCHS:-10}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target ch07_bench
fi
if ! ls "$MNIST_DIR"/train-images-idx3-ubyte* >/dev/null 2>&1; then
  echo "needs the full MNIST in $MNIST_DIR: scripts/fetch-data" >&2
  exit 1
fi
[ -x "$BENCH" ] || { echo "no benchmark binary at $BENCH (build it, or set BENCH=...)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for th in ${THREADS:-1}; do
  echo "== threads $th: latent" >&2
  OMP_NUM_THREADS=$th LATENT_DATA=$MNIST_DIR "$BENCH" "$th" "$EPOCHS" | tee -a "$out/latent.txt" >&2
  echo "== threads $th: PyTorch" >&2
  OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th MKL_NUM_THREADS=$th \
    "$PYTHON" bench/torch_vae.py "$th" "$MNIST_DIR" "$EPOCHS" | tee -a "$out/torch.txt" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$out/latent.txt" "$out/torch.txt" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import sys


def rows(path):
    out = []
    for line in open(path):
        f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
        if 'workload' in f:
            out.append(f)
    return out


lat, peer = rows(sys.argv[1]), rows(sys.argv[2])
print(f'\nmachine load average (1/5/15 min): before {sys.argv[3]}, after {sys.argv[4]} on {sys.argv[5]} cores')
if max(float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0])) > int(sys.argv[5]) - 0.5:
    print('WARNING: other processes were busy meanwhile: timings are noisy')
for th in sorted({r['threads'] for r in lat}, key=int):
    L = {r['epoch']: r for r in lat if r['threads'] == th and r['workload'] == 'vae_mlp_epoch'}
    P = {r['epoch']: r for r in peer if r['threads'] == th and r['workload'] == 'vae_mlp_epoch'}
    print(f'\npytorch/examples VAE 784-400-20, batch 128, Adam 1e-3, threads={th} '
          '(seconds per epoch incl. the test pass; test loss in nats per image)\n')
    hdr = f"{'epoch':>5} {'latent s':>9} {'torch s':>8} {'ratio':>6} {'latent test':>11} {'torch test':>10}"
    print(hdr); print('-' * len(hdr))
    for e in sorted(L, key=int):
        l, p = L[e], P.get(e)
        ls, lt = float(l['seconds']), float(l['test_loss'])
        if p:
            ps, pt = float(p['seconds']), float(p['test_loss'])
            print(f'{e:>5} {ls:9.2f} {ps:8.2f} {ls / ps:6.2f} {lt:11.2f} {pt:10.2f}')
        else:
            print(f'{e:>5} {ls:9.2f} {"-":>8} {"-":>6} {lt:11.2f} {"-":>10}')
    lt_ = [r for r in lat if r['threads'] == th and r['workload'] == 'vae_mlp_total']
    pt_ = [r for r in peer if r['threads'] == th and r['workload'] == 'vae_mlp_total']
    if lt_ and pt_:
        ls, ps = float(lt_[0]['seconds']), float(pt_[0]['seconds'])
        print('-' * len(hdr))
        print(f"{'total':>5} {ls:9.2f} {ps:8.2f} {ls / ps:6.2f} {float(lt_[0]['test_loss']):11.2f} "
              f"{float(pt_[0]['test_loss']):10.2f}")
        print(f'\nratio latent / PyTorch at {th} thread(s): {ls / ps:.2f} '
              f'({"latent faster" if ls < ps else "PyTorch faster"}); final test loss latent '
              f"{float(lt_[0]['test_loss']):.2f} vs PyTorch {float(pt_[0]['test_loss']):.2f} "
              '(pytorch/examples anchor: 105.3 after 10 epochs)')
EOF
