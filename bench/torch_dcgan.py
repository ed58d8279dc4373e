#!/usr/bin/python3
"""The PyTorch peer of the DCGAN race (issue #8): ../shared/bench/torch_ref.py's DCGAN for MNIST
(G: z 100 -> ConvT 7x7 (128) -> BN -> ReLU -> ConvT 4x4/2 (64) -> BN -> ReLU -> ConvT 4x4/2 (1) -> tanh;
D: Conv 4x4/2 (64) -> LReLU 0.2 -> Conv 4x4/2 (128) -> BN -> LReLU -> Conv 7x7 (1); no biases,
PyTorch's default initialisation, as torch_ref.py has it), its step (NS loss by BCE with logits,
Adam 2e-4, betas (0.5, 0.999), batch 64, the D step's fakes reused for the G step), trained on
the full MNIST scaled to [-1, 1], shuffled, the last partial batch dropped.

After every epoch it writes OUT/torch_epoch<k>.npy: SAMPLES images [N, 1, 28, 28] mapped to [0, 1]
from fresh z, G in eval mode (batch-norm running statistics), for bench/ch08_bench score to
judge with the same LeNet as ours. Prints one line per epoch:
  torch_dcgan threads=T epoch=k train_seconds=S (cumulative, sampling excluded) file=...

Usage: torch_dcgan.py MNIST_DIR OUT [EPOCHS=3] [THREADS=2] [SAMPLES=10000] [SEED=0]
"""
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx_images(path):
    with open(path, 'rb') as f:
        magic, n, rows, cols = struct.unpack('>IIII', f.read(16))
        if magic != 2051:
            sys.exit(f'{path}: not an IDX image file (magic {magic})')
        return np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, 1, rows, cols)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mnist_dir, out = sys.argv[1], sys.argv[2]
    given = [int(a) for a in sys.argv[3:7]]
    epochs, threads, samples, seed = given + [3, 2, 10000, 0][len(given):]
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    os.makedirs(out, exist_ok=True)
    x = torch.from_numpy(read_idx_images(os.path.join(mnist_dir, 'train-images-idx3-ubyte')).astype(np.float32))
    x = x / 255.0 * 2 - 1
    nz, bs = 100, 64
    G = nn.Sequential(
        nn.ConvTranspose2d(nz, 128, 7, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
        nn.Conv2d(128, 1, 7, 1, 0, bias=False), nn.Flatten())
    oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(bs, 1), torch.zeros(bs, 1)
    train_seconds = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0] - bs + 1, bs):
            real = x[perm[i:i + bs]]
            fake = G(torch.randn(bs, nz, 1, 1))
            oD.zero_grad()
            lD = F.binary_cross_entropy_with_logits(D(real), ones) + \
                F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
            lD.backward()
            oD.step()
            oG.zero_grad()
            lG = F.binary_cross_entropy_with_logits(D(fake), ones)
            lG.backward()
            oG.step()
        train_seconds += time.perf_counter() - t0
        G.eval()
        with torch.no_grad():
            imgs = torch.cat([G(torch.randn(min(500, samples - j), nz, 1, 1)) for j in range(0, samples, 500)])
            imgs = ((imgs + 1) / 2).clamp(0, 1)  # to [0, 1], as ch08_bench score reads it
        G.train()
        path = os.path.join(out, f'torch_epoch{epoch}.npy')
        np.save(path + '.tmp.npy', imgs.numpy().astype(np.float32))
        os.replace(path + '.tmp.npy', path)
        print(f'torch_dcgan threads={threads} epoch={epoch} train_seconds={train_seconds:.1f} '
              f'd_loss={lD.item():.4f} g_loss={lG.item():.4f} file={path}', flush=True)


if __name__ == '__main__':
    main()
