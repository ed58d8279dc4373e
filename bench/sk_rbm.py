#!/usr/bin/python3
"""scikit-learn's side of bench/run_ch05.sh: the RBM workload of /work/shared/bench/sk_ref.py alone.

The settings are sk_ref.py's, unchanged: X = train images / 255 (float32), the first 10,000
binarised at 0.5, BernoulliRBM(n_components=500, learning_rate=0.05, batch_size=100, n_iter=1,
random_state=0).fit, then score_samples (the stochastic pseudo-log-likelihood) on the first 1,000.
Running only this workload keeps the PCA / k-means / GMM fits of sk_ref.py out of the bench.

Usage: sk_rbm.py THREADS MNIST_DIR
Prints: workload=rbm500_cd1_epoch threads=N seconds=S cpu_seconds=C pseudo_loglik=P pll_sem=E
(pll_sem: the standard error of the mean over the 1,000 rows, to judge the gap to latent's figure).
"""
import os, sys

threads, mnist = sys.argv[1], sys.argv[2]
# The BLAS reads these when numpy is imported: set them first (run_ch05.sh sets them too).
os.environ['OMP_NUM_THREADS'] = os.environ['OPENBLAS_NUM_THREADS'] = threads
import gzip, time
import numpy as np
from sklearn.neural_network import BernoulliRBM


def idx(path):  # as in sk_ref.py; this one also reads gzipped files (scripts/fetch-data may leave them)
    if not os.path.exists(path): path += '.gz'
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b': data = gzip.decompress(data)
    nd = int.from_bytes(data[0:4], 'big') & 0xff
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(dims)


X = idx(os.path.join(mnist, 'train-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255
Xb = (X[:10000] > 0.5).astype(np.float32)
rbm = BernoulliRBM(n_components=500, learning_rate=0.05, batch_size=100, n_iter=1, random_state=0)
t, c = time.perf_counter(), time.process_time()  # wall, and CPU of all threads (as ch05_bench)
rbm.fit(Xb)
t, c = time.perf_counter() - t, time.process_time() - c
pll = rbm.score_samples(Xb[:1000])
print(f'workload=rbm500_cd1_epoch threads={threads} seconds={t:.4f} cpu_seconds={c:.4f} pseudo_loglik={pll.mean():.4f} '
      f'pll_sem={pll.std(ddof=1) / np.sqrt(len(pll)):.4f}', flush=True)
