"""WGAN-GP Fig. 2 (Section 5.2): seven architectures, each trained with the DCGAN loss, LSGAN,
weight clipping, the penalty and the one-sided penalty, one set of hyperparameters per method
(`wgan_jax.configs.architecture_studies`): samples laid out like the paper's figure and the
MNIST Inception-like score of every cell."""

from __future__ import annotations

import time

import numpy as np

from wgan_jax.configs import architecture_studies
from wgan_jax.paper import studies
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid


def get_config(name: str = "wgangp_fig2", methods=architecture_studies.PAPER_METHODS):
  c = studies.study_config(name)
  c.width = 16  # DIM of G and D (gan_64x64.py: 64)
  c.architectures = architecture_studies.FIG2_ARCHS  # rows, top to bottom
  c.arch_titles = dict(architecture_studies.FIG2_TITLES)
  c.methods = methods  # columns
  for arch in c.architectures:
    studies.add_architecture_runs(c, arch, c.methods)
  c.lock()
  return c


def drawn_runs(fig, quick: bool = False) -> list[str]:
  """The cells of the configured rows and columns (the first rows only under `--quick`)."""
  rows = [a for a in fig.architectures if any(f"{a}-{m}" in fig.runs for m in fig.methods)]
  return [f"{a}-{m}" for a in studies.architectures_drawn(fig, rows, quick) for m in fig.methods
          if f"{a}-{m}" in fig.runs]


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """A row of samples per architecture, a column per method, each cell's score; and the scores
  as a table (the one-sided penalty is the extra last column)."""
  start = time.time()
  cells = drawn_runs(fig, quick)
  archs = [a for a in fig.architectures if any(f"{a}-{m}" in cells for m in fig.methods)]
  methods = [m for m in fig.methods if any(f"{a}-{m}" in cells for a in fig.architectures)]
  outcomes = {(a, m): studies.train_or_mark_diverged(fig, f"{a}-{m}", workdir, quick)
              for a in archs for m in methods if f"{a}-{m}" in cells}
  outcomes = {cell: outcome for cell, outcome in outcomes.items() if outcome is not None}
  archs = [a for a in archs if any(cell[0] == a for cell in outcomes)]
  methods = [m for m in methods if any(cell[1] == m for cell in outcomes)]
  scores = np.full((len(archs), len(methods)), np.nan)
  for (a, m), outcome in outcomes.items():
    scores[archs.index(a), methods.index(m)] = outcome["score"]

  figure = new_figure(figsize=(2.0 * len(methods) + 5.5, 2.0 * len(archs) + 1.5))
  outer = figure.add_gridspec(1, 2, width_ratios=(len(methods), 2.4), wspace=0.1)
  cells = outer[0].subgridspec(len(archs), len(methods), hspace=0.3, wspace=0.05)
  for (a, m), outcome in outcomes.items():
    i, j = archs.index(a), methods.index(m)
    ax = figure.add_subplot(cells[i, j])
    verdict = "diverged" if outcome["diverged"] else f"score {outcome['score']:.2f}"
    show_grid(ax, studies.outcome_samples(outcome), verdict)
    if i == min(archs.index(b) for b, n in outcomes if n == m):  # the column's top cell
      ax.set_title(f"{studies.METHOD_TITLES[m]}\n{verdict}", fontsize=8)
    if j == min(methods.index(n) for b, n in outcomes if b == a):  # the row's first cell
      ax.set_ylabel(fig.arch_titles[a], fontsize=7)
  reaching = {m: {f"{t:g}": int(np.sum(studies.succeeded(scores[:, j], t)))
                  for t in fig.thresholds}
              for j, m in enumerate(methods)}
  _score_table(figure.add_subplot(outer[1]), scores, [fig.arch_titles[a] for a in archs],
               methods, reaching)

  data = figure_header(fig, quick, start)
  data["score"] = studies.SCORE_DESCRIPTION
  data["methods"], data["architectures"] = methods, archs
  data["scores"] = {a: {m: outcomes[(a, m)]["score"] for m in methods if (a, m) in outcomes}
                    for a in archs}
  data["reaching"] = reaching
  data["runs"] = [studies.outcome_summary(o) for o in outcomes.values()]
  return save_figure(out_dir, fig, quick, figure, data)


def _score_table(ax, scores: np.ndarray, arch_titles, methods, reaching: dict) -> None:
  """The scores as a coloured table, titled with each method's count of architectures above
  each threshold (`reaching[method][threshold]`)."""
  ax.imshow(scores, cmap="viridis", vmin=1, vmax=10, aspect="auto")
  for i in range(scores.shape[0]):
    for j in range(scores.shape[1]):
      if np.isfinite(scores[i, j]):
        ax.text(j, i, f"{scores[i, j]:.1f}", ha="center", va="center", fontsize=8,
                color="white" if scores[i, j] < 6 else "black")
  ax.set_xticks(range(len(methods)))
  ax.set_xticklabels([studies.METHOD_TITLES[m] for m in methods], rotation=40, ha="right",
                     fontsize=7)
  ax.set_yticks(range(len(arch_titles)))
  ax.set_yticklabels(arch_titles, fontsize=7)
  ax.yaxis.tick_right()
  counts = "\n".join(f"score > {t}: " + ", ".join(str(reaching[m][t]) for m in methods)
                     for t in reaching[methods[0]]) if methods else ""
  ax.set_title(f"MNIST Inception-like score (1-10)\narchitectures reaching, per method:\n"
               f"{counts}", fontsize=7)
