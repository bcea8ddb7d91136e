"""WGAN-GP Section 5.1 / Tables 1-2: random architectures drawn from Table 1's distribution,
each trained with WGAN-GP and the standard GAN under Appendix B's recipe: how many score above
each minimum (Table 2's 1, 3, 5, 7, 9 and Appendix Table 5's steps of 0.5 between) with only
one method, both or neither."""

from __future__ import annotations

import time

import numpy as np

from wgan_jax.paper import studies
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid

# Section 5.1: random architectures, each trained with both methods (the paper: 200).
ARCHITECTURES = 40
METHODS = ("wgan-gp", "dcgan")

# Gulrajani et al. 2017, Appendix Table 5 (Table 2 is its rows 1, 3, 5, 7 and 9): of 200 random
# architectures on 32x32 ImageNet, how many scored above each minimum Inception score with
# (only the GAN, only WGAN-GP, both, neither). The paper's standard DCGAN scored 7.24.
PAPER_OUTCOMES = {
    1.0: (0, 8, 192, 0), 1.5: (0, 50, 150, 0), 2.0: (0, 60, 140, 0), 2.5: (0, 74, 125, 1),
    3.0: (1, 88, 110, 1), 3.5: (0, 111, 86, 3), 4.0: (1, 126, 67, 6), 4.5: (0, 136, 55, 9),
    5.0: (0, 147, 42, 11), 5.5: (0, 148, 32, 20), 6.0: (0, 145, 21, 34), 6.5: (1, 131, 11, 57),
    7.0: (1, 104, 5, 90), 7.5: (2, 67, 3, 128), 8.0: (1, 34, 0, 165), 8.5: (0, 6, 0, 194),
    9.0: (0, 0, 0, 200)}
TABLE2_MINIMUMS = (1.0, 3.0, 5.0, 7.0, 9.0)
OUTCOMES = ("only GAN", "only WGAN-GP", "both", "neither")


def get_config():
  c = studies.study_config("wgangp_table2")
  # CPU scale: an eighth of the drawn 32, 64 or 128 filters, and batches of 16. A deep
  # critic's penalised step costs seconds on two cores even so (docs/reproduction/).
  c.filter_scale = 0.125
  c.batch_size = 16
  c.thresholds = tuple(PAPER_OUTCOMES)  # Appendix Table 5's, 1 to 9
  for index in range(ARCHITECTURES):
    studies.add_architecture_runs(c, f"random-{index}", METHODS)
  c.lock()
  return c


def describe(model) -> str:
  """A `gp_dcgan` pair's drawn settings: nonlinearity, depth, normalization, base filters."""
  def network(spec, name):
    depth = 4 + spec.get("n_extra_layers", 0)
    norm = spec.get("normalization", "none")
    return (f"{name}: {spec.get('activation', 'relu')}, {depth} layers, {spec.width} filters"
            f"{'' if norm == 'none' else ', ' + norm + ' norm'}")
  return f"{network(model.generator, 'G')}; {network(model.critic, 'D')}"


def outcome_counts(gan_scores, wgangp_scores, threshold: float) -> tuple[int, int, int, int]:
  """(only GAN, only WGAN-GP, both, neither) scoring above `threshold`."""
  gan, penalty = (studies.succeeded(gan_scores, threshold),
                  studies.succeeded(wgangp_scores, threshold))
  return (int(np.sum(gan & ~penalty)), int(np.sum(penalty & ~gan)), int(np.sum(gan & penalty)),
          int(np.sum(~gan & ~penalty)))


def drawn_runs(fig, quick: bool = False) -> list[str]:
  """Both runs of each random architecture (the first ones only under `--quick`)."""
  indices = sorted({int(label.split("-")[1]) for label in fig.runs})
  return [f"random-{i}-{method}" for i in studies.architectures_drawn(fig, indices, quick)
          for method in ("dcgan", "wgan-gp") if f"random-{i}-{method}" in fig.runs]


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """Per minimum score, how many random architectures only the GAN, only WGAN-GP, both or
  neither trains above it, beside the paper's counts; and each architecture's two scores."""
  start = time.time()
  indices = studies.architectures_drawn(
      fig, sorted({int(label.split("-")[1]) for label in fig.runs}), quick)
  rows = []
  for index in indices:
    gan = studies.train_or_mark_diverged(fig, f"random-{index}-dcgan", workdir, quick)
    penalty = studies.train_or_mark_diverged(fig, f"random-{index}-wgan-gp", workdir, quick)
    if gan is None or penalty is None:  # `trained_only`: an architecture counts once both ran
      continue
    rows.append({"index": index, "gan": gan, "wgan-gp": penalty,
                 "architecture": describe(fig.runs[f"random-{index}-wgan-gp"].model)})
  gan_scores = np.array([r["gan"]["score"] for r in rows])
  penalty_scores = np.array([r["wgan-gp"]["score"] for r in rows])
  counts = {f"{t:g}": dict(zip(OUTCOMES, outcome_counts(gan_scores, penalty_scores, t)))
            for t in fig.thresholds}
  higher = {"WGAN-GP": int(np.sum(penalty_scores > gan_scores)),
            "GAN": int(np.sum(gan_scores > penalty_scores)),
            "tie": int(np.sum(gan_scores == penalty_scores))}
  diverged = {name: sum(r[key]["diverged"] is not None for r in rows)
              for name, key in (("WGAN-GP", "wgan-gp"), ("GAN", "gan"))}

  examples = _widest_gaps(rows)
  figure = new_figure(figsize=(14, 9.5 if examples else 6))
  outer = figure.add_gridspec(2 if examples else 1, 2, width_ratios=(1, 1.25), wspace=0.15,
                              height_ratios=(6, 3.2) if examples else None, hspace=0.35)
  scatter_ax, table_ax = figure.add_subplot(outer[0, 0]), figure.add_subplot(outer[0, 1])
  if examples:
    pairs = outer[1, :].subgridspec(1, 2 * len(examples), wspace=0.05)
    for k, row in enumerate(examples):
      for j, (key, name) in enumerate((("gan", "GAN"), ("wgan-gp", "WGAN-GP"))):
        outcome = row[key]
        verdict = "diverged" if outcome["diverged"] else f"{outcome['score']:.2f}"
        show_grid(figure.add_subplot(pairs[0, 2 * k + j]), studies.outcome_samples(outcome),
                  f"random-{row['index']}\n{name}: {verdict}")
  scatter_ax.scatter(gan_scores, penalty_scores, s=18, c="C0")
  for t in fig.thresholds:
    scatter_ax.axvline(t, color="0.85", lw=0.8)
    scatter_ax.axhline(t, color="0.85", lw=0.8)
  scatter_ax.plot([1, 10], [1, 10], color="0.5", ls="--", lw=0.8)
  # Zoomed to the scores reached (the score's range is 1 to 10).
  top = min(10.2, max(3.0, float(np.max(np.concatenate([gan_scores, penalty_scores]),
                                        initial=1.0)) + 0.5))
  scatter_ax.set_xlim(0.8, top)
  scatter_ax.set_ylim(0.8, top)
  scatter_ax.set_aspect("equal")
  scatter_ax.set_xlabel("standard GAN (DCGAN recipe)")
  scatter_ax.set_ylabel("WGAN-GP")
  scatter_ax.set_title(
      f"MNIST Inception-like score of {len(rows)} random architectures\n"
      f"higher with WGAN-GP: {higher['WGAN-GP']}, with the GAN: {higher['GAN']}; diverged: "
      f"WGAN-GP {diverged['WGAN-GP']}, GAN {diverged['GAN']}", fontsize=9)
  _counts_table(table_ax, counts, fig.thresholds, len(rows))

  data = figure_header(fig, quick, start)
  data["score"] = studies.SCORE_DESCRIPTION
  data["architectures"] = len(rows)
  data["filter_scale"] = fig.filter_scale
  data["counts"] = counts
  data["higher_score"] = higher  # architectures on which each method scored higher
  data["diverged"] = diverged
  data["paper"] = {"architectures": 200, "dcgan_score": 7.24,
                   "source": "Gulrajani et al. 2017, Table 2 and Appendix Table 5",
                   "counts": {f"{t:g}": dict(zip(OUTCOMES, c)) for t, c in
                              PAPER_OUTCOMES.items()}}
  data["rows"] = [{"index": r["index"], "architecture": r["architecture"],
                   "gan": studies.outcome_summary(r["gan"]),
                   "wgan-gp": studies.outcome_summary(r["wgan-gp"])}
                  for r in rows]
  return save_figure(out_dir, fig, quick, figure, data)


def _widest_gaps(rows: list[dict], per_side: int = 2) -> list[dict]:
  """The architectures whose two scores differ most, `per_side` each way (WGAN-GP ahead, then
  the GAN ahead), to show their samples."""
  gap = lambda row: row["wgan-gp"]["score"] - row["gan"]["score"]  # noqa: E731
  ahead = sorted((r for r in rows if gap(r) > 0), key=gap, reverse=True)[:per_side]
  behind = sorted((r for r in rows if gap(r) < 0), key=gap)[:per_side]
  return ahead + behind


def _counts_table(ax, counts: dict, thresholds, architectures: int) -> None:
  ax.axis("off")
  header = ["min. score"] + [f"{o}\nhere / paper" for o in OUTCOMES]
  body = []
  for t in thresholds:
    ours, paper = counts[f"{t:g}"], PAPER_OUTCOMES.get(float(t))
    body.append([f"{t:g}"] + [
        f"{ours[o]} / {paper[k] if paper else '-'}" for k, o in enumerate(OUTCOMES)])
  table = ax.table(cellText=body, colLabels=header, loc="center", cellLoc="center")
  table.auto_set_font_size(False)
  table.set_fontsize(9)
  table.scale(1, min(2.2, 21 / len(body)))
  for (row, _), cell in table.get_celld().items():
    if row == 0:  # two-line headers
      cell.set_height(2 * cell.get_height())
    elif float(thresholds[row - 1]) in TABLE2_MINIMUMS:
      cell.get_text().set_fontweight("bold")
  ax.set_title(f"architectures scoring above each minimum: here ({architectures}, MNIST) / "
               f"the paper (200, ImageNet 32x32)\nbold rows: the paper's Table 2, the rest its "
               f"Appendix Table 5", fontsize=9, pad=24)
