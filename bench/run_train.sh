#!/usr/bin/env bash
# Training-step benchmarks (issue #3): latent's bench/train_bench beside the peer
# workloads of ../shared/bench/torch_ref.py (PyTorch, /usr/bin/python3), workload
# by workload and alternating the two sides so both see the same machine load.
# Prints one table: workload, threads, latent ms/step, PyTorch ms/step, ratio
# (latent / PyTorch: below 1 means latent is faster). Goal: ratio <= 1.0.
#
# Usage: bench/run_train.sh [workload ...]
#   workloads: vae_mlp_b128 dcgan_mnist_b64 wgan_gp_critic_b64 lenet_b64 conv_vae_b128 (default all)
#   conv_vae_b128 (chapter 07's convolutional VAE) is not in torch_ref.py: its peer is
#   bench/torch_steps.py, the same network in PyTorch.
# Env: PYTHON (default /usr/bin/python3), SKIP_BUILD=1, PEER (default ../shared/bench/torch_ref.py)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
PEER=${PEER:-../shared/bench/torch_ref.py}
[ -f "$PEER" ] || { echo "run_train.sh: peer script $PEER not found (set PEER=...)" >&2; exit 2; }
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -eq 0 ] && WORKLOADS=(vae_mlp_b128 dcgan_mnist_b64 wgan_gp_critic_b64 lenet_b64 conv_vae_b128)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/setup --bench
  cmake --preset release >/dev/null
  cmake --build --preset release --target train_bench
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
for w in "${WORKLOADS[@]}"; do
  build/release/bench/train_bench "$w" | tee -a "$out/latent.txt" >&2
  case "$w" in
    conv_vae_b128) peer_script=bench/torch_steps.py ;;
    *) peer_script=$PEER ;;
  esac
  "$PYTHON" "$peer_script" "$w" | tee -a "$out/peer.txt" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PYTHON" - "$out/latent.txt" "$out/peer.txt" <<'PY'
import sys
def read(p):
    d = {}
    for line in open(p):
        name, threads, ms, _ = line.split()
        d[(name, threads)] = float(ms)
    return d
ours, peer = read(sys.argv[1]), read(sys.argv[2])
print(f"{'workload':<22}{'threads':>8}{'latent ms':>11}{'torch ms':>10}{'ratio':>8}")
for k in ours:
    if k in peer:
        r = ours[k] / peer[k]
        print(f"{k[0]:<22}{k[1].split('=')[1]:>8}{ours[k]:>11.2f}{peer[k]:>10.2f}{r:>8.2f}  {'met' if r <= 1.0 else 'MISSED'}")
PY
