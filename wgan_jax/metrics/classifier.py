"""A critic's classifier head scored on held-out labelled data.

The semi-supervised GAN (Salimans et al. 2016) is judged by its discriminator as a classifier:
its error rate on the test set, given only a few labels in training. The same measure applies to
any critic with a classifier head (`layers.CLASSIFIER_HEADS`: AC-GAN, semi-supervised), and to
InfoGAN's Q head, whose categorical code is read as the class:

* `classifier_error`: the share of held-out examples whose argmax class is not their label;
* `classifier_error_worst`: the highest of the per-class error rates;
* `cluster_accuracy`: the accuracy after the best one-to-one matching of the head's classes to
  the labels (Hungarian algorithm, scipy's `linear_sum_assignment`): the measure for a head
  trained without labels (CatGAN), whose class k need not be digit k.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import jax
import numpy as np
import scipy.optimize

from wgan_jax.models.layers import check_classifier_head
from wgan_jax.state import GANState, critic_variables
from wgan_jax.networks import split_scores


def label_accuracy(predicted: np.ndarray, labels: np.ndarray,
                   num_classes: int = 10) -> tuple[float, np.ndarray]:
  """`(share of predictions equal to their label, that share within each class)`; NaN for a
  class no label names."""
  predicted, labels = np.asarray(predicted), np.asarray(labels)
  if predicted.shape != labels.shape:
    raise ValueError(f"{len(predicted)} predictions for {len(labels)} labels.")
  hits = predicted == labels
  counts = np.bincount(labels, minlength=num_classes)
  per_class = np.bincount(labels, weights=hits, minlength=num_classes) / np.maximum(counts, 1)
  return float(hits.mean()), np.where(counts > 0, per_class, np.nan)


def cluster_accuracy(predicted: np.ndarray, labels: np.ndarray, num_clusters: int,
                     num_classes: int) -> tuple[float, np.ndarray]:
  """`(accuracy, class of each cluster)` under the one-to-one matching of clusters to classes
  that names the most examples right; clusters beyond the classes match nothing (-1)."""
  counts = np.zeros((num_clusters, num_classes), np.int64)
  np.add.at(counts, (np.asarray(predicted), np.asarray(labels)), 1)
  clusters, classes = scipy.optimize.linear_sum_assignment(counts, maximize=True)
  mapping = -np.ones(num_clusters, np.int64)
  mapping[clusters] = classes
  return float(counts[clusters, classes].sum() / max(1, len(labels))), mapping


class CriticClassifier:
  """Predicts classes with a critic's head (in inference mode) and scores them against labels."""

  def __init__(self, critic: Any, batch_size: int = 1000, latent: Any = None,
               variables: Callable[[GANState], Any] = critic_variables):
    """`latent`: an InfoGAN run's `LatentPrior`, whose categorical code's logits, the first of
    the critic's Q head, are the classes (the paper's use of Q as a classifier). `variables`:
    the critic's variables from a state (`Experiment.critic_variables` under spectral
    normalization)."""
    self._variables = variables
    if getattr(critic, "conditioning", None) == "info" and latent is not None and \
        latent.categorical:
      self.num_classes = latent.categorical
    else:
      check_classifier_head(critic, "Scoring the critic as a classifier")
      self.num_classes = critic.num_classes
    if getattr(critic, "axis_name", None) is not None:
      critic = critic.clone(axis_name=None)  # run on one device, outside pmap
    self.batch_size = batch_size
    classes = self.num_classes
    self._logits = jax.jit(lambda variables, x: split_scores(
        critic.apply(variables, x, None, train=False))[1][:, :classes])

  def predict(self, state: GANState, x: np.ndarray) -> np.ndarray:
    """The argmax class of every example of `x`."""
    variables = self._variables(state)
    return np.concatenate([np.argmax(np.asarray(self._logits(variables, x[i:i + self.batch_size])),
                                     axis=-1) for i in range(0, len(x), self.batch_size)])

  def __call__(self, state: GANState, data: Mapping[str, np.ndarray]) -> dict[str, float]:
    """`classifier_error`, `classifier_error_worst` and `cluster_accuracy` on `{'x', 'label'}`."""
    predicted, labels = self.predict(state, data["x"]), np.asarray(data["label"])
    accuracy, per_class = label_accuracy(predicted, labels, self.num_classes)
    matched, _ = cluster_accuracy(predicted, labels, self.num_classes,
                                  max(self.num_classes, int(labels.max()) + 1))
    return {"classifier_error": 1.0 - accuracy,
            "classifier_error_worst": 1.0 - float(np.nanmin(per_class)),
            "cluster_accuracy": matched}
