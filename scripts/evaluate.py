"""Evaluate a run: `python scripts/evaluate.py --workdir DIR --metric fid|kid|is|w1|modes|mnist [...]`.

Generates --num samples from the newest checkpoint and writes a JSON result
(--out, default DIR/eval_STEP.json) with the step, the metrics and the
sample counts. FID / KID compare against real images of the run's own data
config (features cached on first use); see docs/EVALUATION.md. With
--classifier_split (e.g. test), a critic with a classifier head (semi-supervised
GAN, AC-GAN) is also scored as a classifier on that labelled split.
"""

import json
import os
import sys
import time

from absl import app, flags, logging

from wgan_jax import cli

_WORKDIR = flags.DEFINE_string("workdir", None, "Training directory.", required=True)
_METRICS = flags.DEFINE_list("metric", [], "Metrics of the samples: fid, kid, is, w1, modes, "
                             "mnist.")
_CLASSIFIER_SPLIT = flags.DEFINE_string(
    "classifier_split", "", "A labelled split of the run's data (e.g. test) on which to score "
    "the critic's classifier head: classifier_error.")
_NUM = flags.DEFINE_integer("num", 10_000, "Generated samples.", lower_bound=1)
_NUM_REFERENCE = flags.DEFINE_integer("num_reference", 10_000, "Real images for FID / KID.",
                                     lower_bound=1)
_WEIGHTS = flags.DEFINE_string("inception_weights", "", "Converted FID Inception .npz.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for the noise.")
_OUT = flags.DEFINE_string("out", None, "Output JSON file.")
_STATISTICS, _SAMPLE_BATCH = cli.define_sampling_flags()


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  from wgan_jax.data import pipeline
  from wgan_jax.evaluation import Evaluator
  from wgan_jax.metrics.classifier import CriticClassifier
  from wgan_jax.sampling import generate_samples, load_run, sample_settings
  start = time.time()
  if not _METRICS.value and not _CLASSIFIER_SPLIT.value:
    print("error: name a --metric, a --classifier_split, or both.", file=sys.stderr)
    return 2
  try:
    config, experiment, state = load_run(_WORKDIR.value)
    classifier_scores = {}
    if _CLASSIFIER_SPLIT.value:
      held_out = pipeline.load_split(config.data, _CLASSIFIER_SPLIT.value, config.seed,
                                     with_labels=True)
      classifier_scores = CriticClassifier(experiment.critic, latent=experiment.latent)(
          state, held_out)
    eval_config = dict(config.eval.to_dict(), metrics=tuple(_METRICS.value), num_samples=_NUM.value,
                       num_reference=_NUM_REFERENCE.value, inception_weights=_WEIGHTS.value)
    evaluator = Evaluator(eval_config, config.data, experiment.source, experiment.example_shape,
                          config.seed)
    settings = sample_settings(config, _STATISTICS.value, _SAMPLE_BATCH.value)
    samples, labels, codes = generate_samples(experiment.generator, state, _NUM.value, settings,
                                              experiment.generated_classes, _SEED.value,
                                              experiment.latent)
  except (FileNotFoundError, ValueError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  result = {"workdir": os.path.abspath(_WORKDIR.value), "step": int(state.step),
            "num_samples": _NUM.value,
            "sample_statistics": "batch" if settings.batch_statistics else "running",
            "sample_batch": settings.batch, **evaluator(samples, labels, codes),
            **classifier_scores}
  result["seconds"] = time.time() - start
  out = _OUT.value or os.path.join(_WORKDIR.value, f"eval_{int(state.step)}.json")
  with open(out, "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result))
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
