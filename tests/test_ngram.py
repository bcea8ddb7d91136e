"""The n-gram Jensen-Shannon divergences that monitor a text run, against hand-computed values."""

import math

import numpy as np
import pytest

from wgan_jax.config import base_config
from wgan_jax.evaluation import Evaluator
from wgan_jax.metrics import check_metrics
from wgan_jax.metrics.text import NgramReference, js_divergence, ngram_counts


def test_ngrams_are_counted_within_each_sequence():
  counts = ngram_counts(np.array([[0, 1, 2], [1, 1, 2]]), 2)
  assert counts == {(0, 1): 1, (1, 2): 2, (1, 1): 1}  # never (2, 1) across the rows
  assert sum(ngram_counts(np.zeros((5, 32), int), 4).values()) == 5 * 29


def test_jensen_shannon_divergence_by_hand():
  p = ngram_counts(np.array([[0, 1, 2], [1, 1, 2]]), 1)  # 0: 1/6, 1: 3/6, 2: 2/6
  q = ngram_counts(np.array([[0, 0, 1]]), 1)  # 0: 2/3, 1: 1/3
  p_probs, q_probs = [1 / 6, 1 / 2, 1 / 3], [2 / 3, 1 / 3, 0.0]
  m = [(a + b) / 2 for a, b in zip(p_probs, q_probs)]
  kl = lambda probs: sum(a * math.log2(a / c) for a, c in zip(probs, m) if a > 0)  # noqa: E731
  assert js_divergence(p, q) == pytest.approx(0.5 * (kl(p_probs) + kl(q_probs)), rel=1e-12)
  assert js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
  assert js_divergence(p, ngram_counts(np.array([[7, 8]]), 1)) == pytest.approx(1.0)


def test_the_floor_holds_out_a_slice_of_the_training_text():
  rng = np.random.default_rng(0)
  text = rng.integers(0, 5, (400, 16))
  reference = NgramReference(text, held_out=100)
  scores = reference(text[:100])
  for n in (1, 2, 3, 4):
    assert scores[f"ngram_js{n}_real_vs_real"] == pytest.approx(js_divergence(
        ngram_counts(text[:100], n), ngram_counts(text[100:], n)))
  assert scores["ngram_js1"] < 0.01 < scores["ngram_js4"] < 1.0  # 4-grams are sparse in 100
  assert reference(np.full((100, 16), 9))["ngram_js1"] == pytest.approx(1.0)
  with pytest.raises(ValueError, match="holds out 400"):
    NgramReference(text, held_out=400)


def test_text_runs_take_the_ngram_metric_only(tmp_path):
  text_data = base_config().data
  text_data.update(dict(source="text", seq_len=8))
  with pytest.raises(ValueError, match="not text metrics"):
    check_metrics(("fid",), text_data, (8, 20))
  with pytest.raises(ValueError, match="for text data"):
    check_metrics(("ngram",), base_config().data, (2,))
  (tmp_path / "t.txt").write_text("\n".join(f"line {i}" for i in range(30)))
  text_data.path = str(tmp_path / "t.txt")
  from wgan_jax.data import sources
  source = sources.make_source(text_data, seed=0)
  evaluator = Evaluator(dict(metrics=("ngram",), num_samples=10), text_data, source,
                        (8, len(source.vocabulary)))
  one_hot = np.eye(len(source.vocabulary))[source.arrays["x"][:10]]
  scores = evaluator(one_hot)  # real lines score near their floor
  assert set(scores) == {f"ngram_js{n}{s}" for n in (1, 2, 3, 4) for s in ("", "_real_vs_real")}
  assert scores["ngram_js1"] < 0.05
