"""Render benchmark JSON lines as the markdown tables of docs/PERFORMANCE.md.

    python3 benchmarks/report.py docs/benchmarks/cpu.jsonl
"""

import json
import sys
from collections import defaultdict


def main(path):
  rows = [json.loads(line) for line in open(path) if line.strip()]
  head = rows[0]
  print(f"Device: {head['device_kind']} ({head['platform']}), host {head['host']}, "
        f"jax {head['jax_version']}, torch {head.get('torch_version', '-')} "
        f"({head.get('torch_threads', '-')} threads).\n")
  single = [r for r in rows if r["device_count"] == 1 and "scaling" not in r["label"]]
  print("| setting | batch | n_critic | implementation | gen. iters/s (median) | "
        "critic images/s | vs PyTorch eager | fused vs per-iteration | compile + first step (s) |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  for r in single:
    print(f"| {r['label']} | {r['batch']} | {r['n_critic']} | {r['impl']} | "
          f"{r['gen_iters_per_sec']:.3f} | {r['critic_images_per_sec']:.0f} | "
          f"{r.get('speedup_vs_torch', float('nan')):.2f} | "
          f"{r.get('speedup_vs_per_iteration', float('nan')):.2f} | {r['compile_sec']:.1f} |"
          .replace("nan", "-"))
  scaling = defaultdict(list)
  for r in rows:
    if "scaling" in r["label"]:
      scaling[r["label"]].append(r)
  for label, group in scaling.items():
    group.sort(key=lambda r: r["device_count"])
    base = group[0]["gen_iters_per_sec"] * group[0]["batch"]
    print(f"\n{label} (per-device batch {group[0]['per_device_batch']}):\n")
    print("| devices | global batch | gen. iters/s | examples/s | efficiency vs ideal |")
    print("| --- | --- | --- | --- | --- |")
    for r in group:
      examples = r["gen_iters_per_sec"] * r["batch"]
      print(f"| {r['device_count']} | {r['batch']} | {r['gen_iters_per_sec']:.3f} | "
            f"{examples:.0f} | {examples / (base * r['device_count']):.0%} |")


if __name__ == "__main__":
  main(sys.argv[1])
