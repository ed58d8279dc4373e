"""Shared by the bench scripts' report snippets: read `workload=... threads=N key=value`
lines (one per run) into {(workload, threads): {field: median over runs}}."""
import statistics


def read_rows(path):
    rows = {}
    for line in open(path):
        f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
        if 'workload' not in f:
            continue
        key = (f.pop('workload'), int(f.pop('threads')))
        for k, v in f.items():
            rows.setdefault(key, {}).setdefault(k, []).append(float(v))
    return {k: {f: statistics.median(v) for f, v in d.items()} for k, d in rows.items()}
