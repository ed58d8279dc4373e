"""Peer of bench/ch07_bench.cpp: pytorch/examples' VAE (vae/main.py), its setting:
784-400-20-400-784 with ReLU, sigmoid output, loss = summed BCE + KL (Kingma & Welling
2014, appendix B) per batch, Adam lr 1e-3, batch 128, shuffled training set of 60,000
grey-level MNIST images in [0, 1], test loss = the summed loss over the 10,000 test
images (batch 128, one ε sample each) / 10,000.

Reads the IDX files directly (no torchvision here). Prints, in bench/bench_rows.py's format,
  workload=vae_mlp_epoch threads=N epoch=E seconds=S eval_seconds=S train_loss=L test_loss=L
  workload=vae_mlp_total threads=N epochs=E seconds=S test_loss=L

Usage: torch_vae.py THREADS MNIST_DIR [EPOCHS]
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def read_images(d, name):
    for path in (os.path.join(d, name), os.path.join(d, name + '.gz')):
        if os.path.exists(path):
            raw = open(path, 'rb').read()
            if raw[:2] == b'\x1f\x8b':
                raw = gzip.decompress(raw)
            n, rows, cols = (int.from_bytes(raw[i:i + 4], 'big') for i in (4, 8, 12))
            x = np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols)
            return torch.from_numpy(x.astype(np.float32) / 255.0)
    sys.exit(f'torch_vae.py: no {name} in {d}')


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    threads, data = int(sys.argv[1]), sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    train = read_images(data, 'train-images-idx3-ubyte')
    test = read_images(data, 't10k-images-idx3-ubyte')
    train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train), batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test), batch_size=128, shuffle=False)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    total = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        train_loss = 0.0
        for (x,) in train_loader:
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            opt.step()
        t1 = time.perf_counter()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for (x,) in test_loader:
                recon, mu, logvar = model(x)
                test_loss += loss_function(recon, x, mu, logvar).item()
        t2 = time.perf_counter()
        test_loss /= len(test)
        total += t2 - t0
        print(f'workload=vae_mlp_epoch threads={threads} epoch={epoch} seconds={t2 - t0:.3f} '
              f'eval_seconds={t2 - t1:.3f} train_loss={train_loss / len(train):.3f} test_loss={test_loss:.3f}',
              flush=True)
    print(f'workload=vae_mlp_total threads={threads} epochs={epochs} seconds={total:.3f} test_loss={test_loss:.3f}',
          flush=True)


if __name__ == '__main__':
    main()
