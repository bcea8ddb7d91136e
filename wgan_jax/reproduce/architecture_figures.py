"""The WGAN-GP paper's robustness experiments (Section 5): many architectures, one set of
hyperparameters per method.

`make_wgangp_fig2`: Fig. 2's seven architectures, each trained with every method, samples laid
out like the paper's figure and the MNIST Inception-like score of every cell.
`make_wgangp_table2`: Tables 1-2, random architectures drawn from Table 1's distribution, each
trained with WGAN-GP and the standard GAN, counted as in Table 2 (and Appendix Table 5) by which
method passes each minimum score.

As in the paper, a run succeeds at a minimum score when its score is above it (`succeeded`).

Built like the other training figures (`training_figures`). A run whose loss or state turns
non-finite is a result here, not an error: it counts as failed (score 1, the least the score
takes), its message is kept in `diverged.json` in its directory, and it is not retrained.
`trained_only=True` draws a study in progress: only the runs already finished in `workdir`.
Several processes may train one study side by side with the same command: each claims a run
before training it (`claimed`) and passes over runs that another process holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from wgan_jax.reproduce.toy_figures import save_figure  # noqa: E402
from wgan_jax.reproduce.training_figures import (RunRecord, figure_header,  # noqa: E402
                                                 is_finished, prepared_run, run_directory,
                                                 run_summary, show_grid, train_or_load)
from wgan_jax.train import NonFiniteLossError  # noqa: E402

SCORE = "mnist_inception_score"
FAILED_SCORE = 1.0  # a diverged run: the score of samples that name no class
METHOD_TITLES = {"dcgan": "DCGAN", "lsgan": "LSGAN", "wgan": "WGAN (clipping)",
                 "wgan-gp": "WGAN-GP (ours)", "wgan-gp-one-sided": "WGAN-GP, one-sided"}

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


@contextlib.contextmanager
def claimed(directory: str):
  """Holds run `directory` for this process while it trains; yields False when another process
  holds it. The claim is an OS lock on `training.claim`, so it ends with its process however that
  ends, and the run resumes in the next process that claims it."""
  os.makedirs(directory, exist_ok=True)
  # The file stays: deleting a lock file lets two processes lock two different files.
  with open(os.path.join(directory, "training.claim"), "a") as claim:
    try:
      fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      yield False
      return
    try:
      yield True
    finally:
      fcntl.flock(claim, fcntl.LOCK_UN)


def train_or_mark_diverged(fig, label: str, workdir: str, quick: bool) -> dict | None:
  """Runs `label` like `train_or_load`; a run that turns non-finite is recorded as diverged.

  Returns `{"label", "record" (None if diverged), "score", "diverged" (message or None),
  "directory"}`; None for a run not yet trained that this process leaves out: with
  `fig.trained_only`, or while another process trains it.
  """
  config = prepared_run(fig, label, quick)
  directory = run_directory(workdir, label, config)
  marker = os.path.join(directory, "diverged.json")
  record = None
  if not (os.path.exists(marker) or is_finished(directory, config)):
    if fig.trained_only:
      print(f"{fig.name}/{label}: not trained yet, left out", flush=True)
      return None
    with claimed(directory) as mine:
      if not mine:
        print(f"{fig.name}/{label}: another process trains it, left out", flush=True)
        return None
      try:
        record = train_or_load(fig, label, workdir, quick)
      except NonFiniteLossError as error:
        with open(marker, "w") as f:
          json.dump({"message": str(error)}, f)
  if not os.path.exists(marker):
    record = record or train_or_load(fig, label, workdir, quick)
    return {"label": label, "record": record, "directory": directory,
            "score": record.final(SCORE)[SCORE], "diverged": None}
  with open(marker) as f:
    message = json.load(f)["message"]
  print(f"{fig.name}/{label}: diverged ({message.split(';')[0]})", flush=True)
  return {"label": label, "record": None, "directory": directory, "score": FAILED_SCORE,
          "diverged": message}


def _outcome_summary(outcome: dict) -> dict:
  record: RunRecord | None = outcome["record"]
  summary = {"label": outcome["label"], "run": os.path.basename(outcome["directory"]),
             "score": outcome["score"], "diverged": outcome["diverged"]}
  if record is not None:
    summary.update(run_summary(record))
    summary["final"] = record.final("mnist")
  return summary


def _last_samples(outcome: dict) -> str | None:
  record = outcome["record"]
  return record.samples[max(record.samples)] if record is not None and record.samples else None


# ----------------------------------------------------------------------------- Fig. 2


def make_wgangp_fig2(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """Fig. 2: a row of samples per architecture, a column per method, each cell's score; and
  the scores as a table (the one-sided penalty is the extra last column)."""
  start = time.time()
  archs = [a for a in fig.architectures if any(f"{a}-{m}" in fig.runs for m in fig.methods)]
  methods = [m for m in fig.methods if any(f"{a}-{m}" in fig.runs for a in fig.architectures)]
  outcomes = {(a, m): train_or_mark_diverged(fig, f"{a}-{m}", workdir, quick)
              for a in archs for m in methods if f"{a}-{m}" in fig.runs}
  outcomes = {cell: outcome for cell, outcome in outcomes.items() if outcome is not None}
  archs = [a for a in archs if any(cell[0] == a for cell in outcomes)]
  methods = [m for m in methods if any(cell[1] == m for cell in outcomes)]
  scores = np.full((len(archs), len(methods)), np.nan)
  for (a, m), outcome in outcomes.items():
    scores[archs.index(a), methods.index(m)] = outcome["score"]

  figure = plt.figure(figsize=(2.0 * len(methods) + 5.5, 2.0 * len(archs) + 1.5))
  outer = figure.add_gridspec(1, 2, width_ratios=(len(methods), 2.4), wspace=0.1)
  cells = outer[0].subgridspec(len(archs), len(methods), hspace=0.3, wspace=0.05)
  for (a, m), outcome in outcomes.items():
    i, j = archs.index(a), methods.index(m)
    ax = figure.add_subplot(cells[i, j])
    verdict = "diverged" if outcome["diverged"] else f"score {outcome['score']:.2f}"
    show_grid(ax, _last_samples(outcome), verdict)
    if i == min(archs.index(b) for b, n in outcomes if n == m):  # the column's top cell
      ax.set_title(f"{METHOD_TITLES[m]}\n{verdict}", fontsize=8)
    if j == min(methods.index(n) for b, n in outcomes if b == a):  # the row's first cell
      ax.set_ylabel(fig.arch_titles[a], fontsize=7)
  reaching = {m: {f"{t:g}": int(np.sum(succeeded(scores[:, j], t))) for t in fig.thresholds}
              for j, m in enumerate(methods)}
  _score_table(figure.add_subplot(outer[1]), scores, [fig.arch_titles[a] for a in archs],
               methods, reaching)

  data = figure_header(fig, quick, start)
  data["score"] = "MNIST Inception-like score (exp E KL(p(y|x) || p(y)), 1 to 10)"
  data["methods"], data["architectures"] = methods, archs
  data["scores"] = {a: {m: outcomes[(a, m)]["score"] for m in methods if (a, m) in outcomes}
                    for a in archs}
  data["reaching"] = reaching
  data["runs"] = [_outcome_summary(o) for o in outcomes.values()]
  save_figure(out_dir, fig.name, figure, data)
  return data


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
  ax.set_xticklabels([METHOD_TITLES[m] for m in methods], rotation=40, ha="right", fontsize=7)
  ax.set_yticks(range(len(arch_titles)))
  ax.set_yticklabels(arch_titles, fontsize=7)
  ax.yaxis.tick_right()
  counts = "\n".join(f"score > {t}: " + ", ".join(str(reaching[m][t]) for m in methods)
                     for t in reaching[methods[0]]) if methods else ""
  ax.set_title(f"MNIST Inception-like score (1-10)\narchitectures reaching, per method:\n"
               f"{counts}", fontsize=7)


# ----------------------------------------------------------------------------- Tables 1-2


def describe(model) -> str:
  """A `gp_dcgan` pair's drawn settings: nonlinearity, depth, normalization, base filters."""
  def network(spec, name):
    depth = 4 + spec.get("n_extra_layers", 0)
    norm = spec.get("normalization", "none")
    return (f"{name}: {spec.get('activation', 'relu')}, {depth} layers, {spec.width} filters"
            f"{'' if norm == 'none' else ', ' + norm + ' norm'}")
  return f"{network(model.generator, 'G')}; {network(model.critic, 'D')}"


def succeeded(scores, threshold: float) -> np.ndarray:
  """The paper's success at a minimum score: a score above it."""
  return np.asarray(scores) > threshold


def outcome_counts(gan_scores, wgangp_scores, threshold: float) -> tuple[int, int, int, int]:
  """(only GAN, only WGAN-GP, both, neither) scoring above `threshold`."""
  gan, penalty = succeeded(gan_scores, threshold), succeeded(wgangp_scores, threshold)
  return (int(np.sum(gan & ~penalty)), int(np.sum(penalty & ~gan)), int(np.sum(gan & penalty)),
          int(np.sum(~gan & ~penalty)))


def make_wgangp_table2(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """Table 2: per minimum score, how many random architectures only the GAN, only WGAN-GP,
  both or neither trains above it, beside the paper's counts; and each architecture's two
  scores."""
  start = time.time()
  indices = sorted({int(label.split("-")[1]) for label in fig.runs})
  rows = []
  for index in indices:
    gan = train_or_mark_diverged(fig, f"random-{index}-dcgan", workdir, quick)
    penalty = train_or_mark_diverged(fig, f"random-{index}-wgan-gp", workdir, quick)
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
  figure = plt.figure(figsize=(14, 9.5 if examples else 6))
  outer = figure.add_gridspec(2 if examples else 1, 2, width_ratios=(1, 1.25), wspace=0.15,
                              height_ratios=(6, 3.2) if examples else None, hspace=0.35)
  scatter_ax, table_ax = figure.add_subplot(outer[0, 0]), figure.add_subplot(outer[0, 1])
  if examples:
    pairs = outer[1, :].subgridspec(1, 2 * len(examples), wspace=0.05)
    for k, row in enumerate(examples):
      for j, (key, name) in enumerate((("gan", "GAN"), ("wgan-gp", "WGAN-GP"))):
        outcome = row[key]
        verdict = "diverged" if outcome["diverged"] else f"{outcome['score']:.2f}"
        show_grid(figure.add_subplot(pairs[0, 2 * k + j]), _last_samples(outcome),
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
  data["score"] = "MNIST Inception-like score (exp E KL(p(y|x) || p(y)), 1 to 10)"
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
                   "gan": _outcome_summary(r["gan"]), "wgan-gp": _outcome_summary(r["wgan-gp"])}
                  for r in rows]
  save_figure(out_dir, fig.name, figure, data)
  return data


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


FIGURES = {"wgangp_fig2": make_wgangp_fig2, "wgangp_table2": make_wgangp_table2}
