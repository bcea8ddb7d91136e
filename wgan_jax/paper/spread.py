"""What the seed-spread items share: a population run's logged metric per member, and one
method's curves drawn as the median over seeds, the band between the quartiles and each seed
faintly."""

from __future__ import annotations

import json
import os

import numpy as np


def member_series(directory: str, key: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
  """`{member: (steps, values)}` of a logged metric of a population's run."""
  rows: dict[int, dict[int, float]] = {}
  with open(os.path.join(directory, "metrics.jsonl")) as f:
    for line in f:
      row = json.loads(line)
      if key in row:
        rows.setdefault(row["member"], {})[row["step"]] = row[key]
  return {m: (np.array(sorted(r)), np.array([r[s] for s in sorted(r)])) for m, r in rows.items()}


def draw_band(ax, series: dict[int, tuple[np.ndarray, np.ndarray]], colour: str,
              label: str) -> dict:
  """Draws the members of `series` that logged every step (the others diverged and froze) as
  their median, quartile band and faint curves; returns those numbers for the figure's JSON."""
  members = sorted(series)
  steps = max((series[m][0] for m in members), key=len)
  complete = [m for m in members if len(series[m][1]) == len(steps)]
  curves = np.stack([series[m][1] for m in complete])
  for curve in curves:
    ax.plot(steps, curve, color=colour, lw=0.5, alpha=0.25)
  low, median, high = np.percentile(curves, [25, 50, 75], axis=0)
  ax.fill_between(steps, low, high, color=colour, alpha=0.25)
  diverged = len(members) - len(complete)
  ax.plot(steps, median, color=colour, lw=2,
          label=f"{label}, {len(complete)} seeds"
                + (f" ({diverged} diverged, left out)" if diverged else ""))
  return {"steps": steps.tolist(), "diverged_seeds": diverged,
          "values": {str(m): series[m][1].tolist() for m in members},
          "median": median.tolist(), "quartiles": [low.tolist(), high.tolist()]}
