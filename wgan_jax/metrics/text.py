"""Character n-gram statistics of generated text, as the WGAN-GP language code monitors it.

`ngram_js` is the Jensen-Shannon divergence (in bits, over the union of the n-grams seen)
between the n-gram distribution of generated sequences and that of the training text, for
n = 1..4. Its floor, `ngram_js{n}_real_vs_real`, is the same divergence between a held-out
slice of the training text and the rest: what a perfect generator would score at that sample
size.
"""

from __future__ import annotations

import collections

import numpy as np
from scipy.spatial.distance import jensenshannon

NGRAM_ORDERS = (1, 2, 3, 4)


def ngram_counts(sequences: np.ndarray, n: int) -> collections.Counter:
  """How often each n-gram of ids occurs within the rows of `sequences` `[N, L]`."""
  sequences = np.asarray(sequences)
  counts: collections.Counter = collections.Counter()
  for start in range(sequences.shape[1] - n + 1):
    counts.update(map(tuple, sequences[:, start:start + n].tolist()))
  return counts


def js_divergence(p: collections.Counter, q: collections.Counter) -> float:
  """Jensen-Shannon divergence (bits) between two count tables: 0 same, 1 disjoint."""
  support = list(set(p) | set(q))
  p_probs = np.array([p.get(k, 0) for k in support], np.float64)
  q_probs = np.array([q.get(k, 0) for k in support], np.float64)
  return float(jensenshannon(p_probs, q_probs, base=2) ** 2)  # normalises both


class NgramReference:
  """The training text's n-gram tables, and the held-out floor, computed once."""

  def __init__(self, sequences: np.ndarray, held_out: int, orders=NGRAM_ORDERS):
    sequences = np.asarray(sequences)
    if len(sequences) <= held_out:
      raise ValueError(f"The text has {len(sequences)} entries; the n-gram floor holds out "
                       f"{held_out} (eval.num_samples): use more text or fewer samples.")
    self.orders = tuple(orders)
    self.tables = {n: ngram_counts(sequences, n) for n in self.orders}
    rest = {n: ngram_counts(sequences[held_out:], n) for n in self.orders}
    self.floor = {n: js_divergence(ngram_counts(sequences[:held_out], n), rest[n])
                  for n in self.orders}

  def __call__(self, generated: np.ndarray) -> dict[str, float]:
    """`ngram_js{n}` of generated ids `[N, L]`, and the floors beside them."""
    out = {}
    for n in self.orders:
      out[f"ngram_js{n}"] = js_divergence(ngram_counts(generated, n), self.tables[n])
      out[f"ngram_js{n}_real_vs_real"] = self.floor[n]
    return out
