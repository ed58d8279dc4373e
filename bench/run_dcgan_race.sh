#!/usr/bin/env bash
# The DCGAN race of issue #8: PyTorch (bench/torch_dcgan.py, the DCGAN of
# ../shared/bench/torch_ref.py) and latent (ch08_bench race, the same network, loss, optimiser
# and batch) each train on the full MNIST for EPOCHS epochs at THREADS threads, one after the
# other on the same machine. After every epoch each side writes 10,000 samples; one judge,
# chapter 08's LeNet (ch08_bench score), gives both the same scores: classifier IS, Fréchet
# distance to 10,000 training images, and how even the digit shares are.
# Prints a table: epoch, training seconds (sampling excluded), IS, FID, digit-share KL, per side.
#
# Usage: bench/run_dcgan_race.sh [EPOCHS=3] [THREADS=2] [OUT=runs/dcgan_race]
# Env: PYTHON (default /usr/bin/python3), SKIP_BUILD=1, LATENT_LR (ours only; default 2e-4 as the
# peer), LATENT_FC=1024 and LATENT_LR_G (ours with InfoGAN's MNIST nets and G's own rate),
# SKIP_PEER=1 (keep OUT's PyTorch files and times from an earlier run). ~15 min at the defaults on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-3}
THREADS=${2:-2}
OUT=${3:-runs/dcgan_race}
PYTHON=${PYTHON:-/usr/bin/python3}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/setup --bench
  scripts/fetch-data
  cmake --preset release >/dev/null
  cmake --build --preset release --target ch08_bench
fi
mkdir -p "$OUT"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
if [ "${SKIP_PEER:-0}" != 1 ]; then
  "$PYTHON" bench/torch_dcgan.py data/mnist "$OUT" "$EPOCHS" "$THREADS" | tee "$OUT/torch.txt" >&2
fi
build/release/bench/ch08_bench race "$THREADS" "$EPOCHS" "$OUT" "${LATENT_LR:-2e-4}" "${LATENT_FC:-0}" \
  "${LATENT_LR_G:-${LATENT_LR:-2e-4}}" | tee "$OUT/latent.txt" >&2
echo "load average after training: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
files=()
for e in $(seq 1 "$EPOCHS"); do files+=("$OUT/torch_epoch$e.npy" "$OUT/latent_epoch$e.npy"); done
build/release/bench/ch08_bench score "${files[@]}" | tee "$OUT/scores.txt" >&2
"$PYTHON" - "$OUT" "$EPOCHS" "$THREADS" <<'PY'
import re, sys
out, epochs, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def kv(line):
    return dict(re.findall(r'(\w+)=(\S+)', line))
secs, ours = {}, {}
for side in ('torch', 'latent'):
    for line in open(f'{out}/{side}.txt'):
        d = kv(line)
        if 'epoch' in d:
            secs[(side, int(d['epoch']))] = float(d['train_seconds'])
            if side == 'latent':
                ours = d
scores = {}
for line in open(f'{out}/scores.txt'):
    if line.startswith('score '):
        d = kv(line)
        m = re.search(r'(torch|latent)_epoch(\d+)\.npy', d['file'])
        scores[(m.group(1), int(m.group(2)))] = d
net = 'the same net' if ours.get('fc', '0') == '0' else f"InfoGAN's MNIST nets (fully connected {ours['fc']})"
print(f"DCGAN race, full MNIST, batch 64, NS loss, Adam (0.5, 0.999), {threads} threads. PyTorch: torch_ref.py's DCGAN at 2e-4; "
      f"latent: {net}, D at {ours.get('lr', '2e-4')}, G at {ours.get('lr_g', ours.get('lr', '2e-4'))}. "
      'Judge: chapter 08 LeNet (IS <= 10, real test images 9.56)')
print('| epoch | PyTorch s | latent s | time ratio | PyTorch IS | latent IS | PyTorch FID | latent FID | PyTorch digit KL | latent digit KL |')
print('|---|---|---|---|---|---|---|---|---|---|')
for e in range(1, epochs + 1):
    t, l = scores[('torch', e)], scores[('latent', e)]
    st, sl = secs[('torch', e)], secs[('latent', e)]
    print(f"| {e} | {st:.0f} | {sl:.0f} | {sl / st:.2f} | {float(t['IS']):.2f} | {float(l['IS']):.2f} | "
          f"{float(t['FID']):.1f} | {float(l['FID']):.1f} | {float(t['digit_kl']):.3f} | {float(l['digit_kl']):.3f} |")
PY
