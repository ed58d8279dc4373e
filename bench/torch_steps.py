#!/usr/bin/python3
"""Peer training steps that ../shared/bench/torch_ref.py does not have, in its format
("name threads=N X ms/step", median of 20 steps after 3 warm-up steps, at 1 and 2 threads).

  conv_vae_b128  chapter 07's convolutional VAE (models/ch07/vae.h, VaeArch::conv):
                 [N,1,28,28] -> Conv 4x4/2 (32) -> ReLU -> Conv 4x4/2 (64) -> ReLU -> Linear(3136, 256)
                 -> ReLU -> (mu, logvar) 20 each; z -> Linear(20, 256) -> ReLU -> Linear(256, 3136) -> ReLU
                 -> ConvT 4x4/2 (32) -> ReLU -> ConvT 4x4/2 (1) -> logits. Loss: mean over the batch of
                 summed BCE-with-logits + closed-form KL; Adam 1e-3; batch 128 of random bits.

Usage: torch_steps.py [workload ...]
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timeit(step, warm=3, reps=20):
    for _ in range(warm):
        step()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        t.append(time.perf_counter() - t0)
    t.sort()
    return 1e3 * t[len(t) // 2]


def conv_vae(bs=128, hidden=256, latent=20):
    class ConvVAE(nn.Module):
        def __init__(s):
            super().__init__()
            s.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU())
            s.fc = nn.Linear(64 * 7 * 7, hidden)
            s.mu, s.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
            s.dec_fc1, s.dec_fc2 = nn.Linear(latent, hidden), nn.Linear(hidden, 64 * 7 * 7)
            s.dec = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))

        def forward(s, x):
            h = F.relu(s.fc(s.enc(x.view(-1, 1, 28, 28)).flatten(1)))
            mu, logvar = s.mu(h), s.logvar(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            out = F.relu(s.dec_fc2(F.relu(s.dec_fc1(z)))).view(-1, 64, 7, 7)
            return s.dec(out).view(-1, 784), mu, logvar

    m = ConvVAE()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.bernoulli(torch.rand(bs, 784))

    def step():
        opt.zero_grad()
        logits, mu, logvar = m(x)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        ((recon + kl) / bs).backward()
        opt.step()
    return step


WORKLOADS = {'conv_vae_b128': conv_vae}

if __name__ == '__main__':
    names = sys.argv[1:] or list(WORKLOADS)
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name in names:
            print(f'{name} threads={threads} {timeit(WORKLOADS[name]()):.2f} ms/step', flush=True)
