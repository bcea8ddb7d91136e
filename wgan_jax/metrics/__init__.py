"""Evaluation metrics, and which of them fit which data.

The metrics themselves live in the submodules (`lowdim`, `fid`, `inception`, `mnist`, `text`,
`classifier`), which need the `train` extra; this module needs nothing beyond the core, so a
config can be checked without them.
"""

from __future__ import annotations

from typing import Any, Mapping

from wgan_jax.data.toy import TOY_MODES

METRICS = ("w1", "modes", "fid", "kid", "is", "prdc", "mnist", "ngram")
INCEPTION_METRICS = ("fid", "kid", "is", "prdc")


def check_metrics(metrics, data_config: Mapping[str, Any], example_shape=None) -> None:
  """Raises ValueError, naming the fix, for a metric this data cannot have (the checks that
  need the examples' shape are skipped without it)."""
  unknown = sorted(set(metrics) - set(METRICS))
  if unknown:
    raise ValueError(f"Unknown evaluation metric(s) {unknown}; choose from {list(METRICS)}.")
  text = bool(data_config.get("seq_len"))
  if text and set(metrics) - {"ngram"}:
    raise ValueError(f"{sorted(set(metrics) - {'ngram'})} are not text metrics; text runs use "
                     f"'ngram'.")
  if "ngram" in metrics and not text:
    raise ValueError("The 'ngram' metric is for text data (config.data.seq_len > 0).")
  if text or example_shape is None:
    return
  low_dim = len(example_shape) == 1
  if "modes" in metrics and (data_config["source"] != "toy" or data_config["name"] not in TOY_MODES):
    raise ValueError(f"The 'modes' metric needs a Gaussian-mixture toy set {sorted(TOY_MODES)}.")
  if "w1" in metrics and (not low_dim or data_config["source"] != "toy"):
    raise ValueError("The 'w1' metric is for the toy data sets; use 'fid' or 'kid' for images.")
  image_metrics = sorted(set(metrics) & {"fid", "kid", "is", "prdc", "mnist"})
  if image_metrics and low_dim:
    raise ValueError(f"{image_metrics} need image data; the toy sets use 'w1' and 'modes'.")
  if "mnist" in metrics and example_shape[-1] != 1:
    raise ValueError("The 'mnist' metric needs one-channel (MNIST-like) images.")
