"""WGAN-GP Section 5.5 / Table 4: the character-level language model, trained with the penalty
and with the standard GAN loss on the same continuous generator.

Character n-gram Jensen-Shannon divergences (n = 1..4) against their held-out floors, and
samples of each. Local text by default: the entries of the `fortunes` corpus (blocks between
'%' lines), each cut or padded to 32 characters, in place of the Billion Word benchmark.
"""

from __future__ import annotations

import time

from wgan_jax.configs import wgan_gp_language
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure
from wgan_jax.paper.runs import present_runs, run_summary, train_or_load

TITLES = {"wgan-gp": "WGAN-GP", "gan": "standard GAN (same generator)"}


def get_config():
  c = settings.training_figure("wgangp_language")
  c.local_source = "text"
  c.separator = "%"
  # Width 64: about 1.1 s per penalised and 0.9 s per standard-GAN iteration on the 2-core
  # development CPU; width 128 timed 3.4x slower than 64 in the benchmark.
  c.num_steps = 2000
  c.eval_every = 100  # ngram scores on eval.num_samples = 640 samples, as the official code
  c.width = 64  # DIM of both networks (the paper: 512)
  c.sample_lines = 12  # samples of each run shown in the figure
  c.quick.update(dict(eval_samples=32))
  for mode in TITLES:
    c.runs[mode] = settings.scaled(wgan_gp_language.get_config(mode), {
        "num_steps": settings.follows(c, "num_steps"), "log_every": 20,
        "sample_every": settings.follows(c, "eval_every"),
        "eval.every": settings.follows(c, "eval_every"),
        "checkpoint_every": 250, "data.separator": settings.follows(c, "separator"),
        "model.generator.width": settings.follows(c, "width"),
        "model.critic.width": settings.follows(c, "width")})
  # The standard GAN's discriminator tells one-hot text from softmax outputs within the
  # first 20 iterations (its loss reaches 0, the JS estimate log 2) and stays there: half the
  # iterations show the same.
  c.runs["gan"].num_steps = 1000
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """n-gram Jensen-Shannon divergences against iterations, and samples."""
  start = time.time()
  records = [train_or_load(fig, mode, workdir, quick) for mode in present_runs(fig, TITLES)]
  figure = new_figure(figsize=(13, 8))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.1), hspace=0.3)
  curves = outer[0].subgridspec(1, 4, wspace=0.3)
  texts = outer[1].subgridspec(1, max(1, len(records)), wspace=0.05)
  data = figure_header(fig, quick, start)
  data["runs"] = []
  floors = {}
  for n in (1, 2, 3, 4):
    ax = figure.add_subplot(curves[0, n - 1])
    for record in records:
      steps, values = record.series(f"ngram_js{n}")
      ax.plot(steps, values, "o-", ms=3, label=TITLES[record.label])
      _, floor = record.series(f"ngram_js{n}_real_vs_real")
      if len(floor):
        floors[n] = float(floor[-1])
    if n in floors:
      ax.axhline(floors[n], color="0.4", ls="--", label="held-out real text")
    ax.set_title(f"{n}-grams")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("Jensen-Shannon divergence (bits)" if n == 1 else "")
    ax.set_ylim(0, 1.02)
    if n == 1:
      ax.legend(fontsize=7)
  for i, record in enumerate(records):
    last = max(record.samples) if record.samples else None
    lines = []
    if last is not None:
      with open(record.samples[last], encoding="utf-8") as f:
        lines = f.read().splitlines()[: fig.sample_lines]
    ax = figure.add_subplot(texts[0, i])
    ax.axis("off")
    ax.set_title(f"{TITLES[record.label]}, iteration {last}", fontsize=9)
    ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top",
            transform=ax.transAxes)
    data["runs"].append({**run_summary(record), "eval_samples": record.config.eval.num_samples,
                         "final": record.final("ngram_js"), "samples": lines,
                         "curves": {n: dict(zip(("steps", "values"), (
                             a.tolist() for a in record.series(f"ngram_js{n}"))))
                                    for n in (1, 2, 3, 4)}})
  data["floors"] = floors
  return save_figure(out_dir, fig, quick, figure, data)
