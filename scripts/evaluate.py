"""Evaluate a run: `python scripts/evaluate.py --workdir DIR --metric fid|kid|is|w1|modes|mnist [...]`.

Generates --num samples from the newest checkpoint and writes a JSON result
(--out, default DIR/eval_STEP.json) with the step, the metrics and the
sample counts. FID / KID compare against real images of the run's own data
config (features cached on first use); see docs/EVALUATION.md.
"""

import json
import os
import sys
import time

from absl import app, flags, logging

from wgan_jax import cli

_WORKDIR = flags.DEFINE_string("workdir", None, "Training directory.", required=True)
_METRICS = flags.DEFINE_list("metric", None, "Metrics: fid, kid, is, w1, modes, mnist.",
                             required=True)
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
  from wgan_jax.evaluation import Evaluator
  from wgan_jax.sampling import generate_samples, load_run, sample_settings
  start = time.time()
  try:
    config, experiment, state = load_run(_WORKDIR.value)
    eval_config = dict(config.eval.to_dict(), metrics=tuple(_METRICS.value), num_samples=_NUM.value,
                       num_reference=_NUM_REFERENCE.value, inception_weights=_WEIGHTS.value)
    evaluator = Evaluator(eval_config, config.data, experiment.source, experiment.example_shape,
                          config.seed)
    settings = sample_settings(config, _STATISTICS.value, _SAMPLE_BATCH.value)
    samples, labels = generate_samples(experiment.generator, state, _NUM.value, settings,
                                  experiment.num_classes, _SEED.value)
  except (FileNotFoundError, ValueError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  result = {"workdir": os.path.abspath(_WORKDIR.value), "step": int(state.step),
            "num_samples": _NUM.value,
            "sample_statistics": "batch" if settings.batch_statistics else "running",
            "sample_batch": settings.batch, **evaluator(samples, labels)}
  result["seconds"] = time.time() - start
  out = _OUT.value or os.path.join(_WORKDIR.value, f"eval_{int(state.step)}.json")
  with open(out, "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result))
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
