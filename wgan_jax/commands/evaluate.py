"""Evaluate a run: `python -m wgan_jax.evaluate --workdir DIR --metric fid|kid|is|prdc|w1|modes|mnist|ngram [...]`.

Generates --num samples from the newest checkpoint and writes a JSON result
(--out, default DIR/eval_STEP.json) with the step, the metrics and the
sample counts. FID / KID compare against real images of the run's own data
config (features cached on first use); see docs/EVALUATION.md. With
--classifier_split (e.g. test), a critic with a classifier head (semi-supervised
GAN, AC-GAN) is also scored as a classifier on that labelled split.
"""

from __future__ import annotations

import json
import os
import sys
import time

from absl import flags

from wgan_jax.commands import common
from wgan_jax.errors import UserError


def _define_flags(flag_values: flags.FlagValues) -> dict:
  define = dict(flag_values=flag_values)
  statistics, sample_batch, ema, member = common.define_sampling_flags(flag_values)
  return {
      "workdir": flags.DEFINE_string("workdir", None, "Training directory.", required=True,
                                     **define),
      "metric": flags.DEFINE_list("metric", [], "Metrics of the samples: fid, kid, is, prdc, "
                                  "w1, modes, mnist, ngram.", **define),
      "classifier_split": flags.DEFINE_string(
          "classifier_split", "", "A labelled split of the run's data (e.g. test) on which to "
          "score the critic's classifier head: classifier_error.", **define),
      "num": flags.DEFINE_integer("num", 10_000, "Generated samples.", lower_bound=1, **define),
      "num_reference": flags.DEFINE_integer("num_reference", 10_000,
                                            "Real images for FID / KID.", lower_bound=1,
                                            **define),
      "inception_weights": flags.DEFINE_string("inception_weights", "",
                                               "Converted FID Inception .npz.", **define),
      "seed": flags.DEFINE_integer("seed", 0, "Seed for the noise.", **define),
      "out": flags.DEFINE_string("out", None, "Output JSON file.", **define),
      "statistics": statistics, "sample_batch": sample_batch, "ema": ema, "member": member,
  }


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values)
  common.parse_flags(argv, flag_values, __doc__)
  value = {name: holder.value for name, holder in given.items()}
  common.quiet_logs()
  # Imported once the flags are parsed, so --help and a bad flag answer at once.
  from wgan_jax.data import pipeline
  from wgan_jax.evaluation import Evaluator
  from wgan_jax.metrics.classifier import CriticClassifier
  from wgan_jax.outputs import OutputError, written_whole
  from wgan_jax.sampling import draw_samples, load_run, sample_settings

  start = time.time()
  if not value["metric"] and not value["classifier_split"]:
    print("error: name a --metric, a --classifier_split, or both.", file=sys.stderr)
    return common.USAGE_ERROR
  try:
    config, experiment, state = load_run(value["workdir"], value["member"])
    classifier_scores = {}
    if value["classifier_split"]:
      held_out = pipeline.load_split(config.data, value["classifier_split"], config.seed,
                                     with_labels=True)
      classifier_scores = CriticClassifier(experiment.critic, latent=experiment.latent,
                                           variables=experiment.critic_variables)(
          state, held_out)
    eval_config = dict(config.eval.to_dict(), metrics=tuple(value["metric"]),
                       num_samples=value["num"], num_reference=value["num_reference"],
                       inception_weights=value["inception_weights"])
    evaluator = Evaluator(eval_config, config.data, experiment.source, experiment.example_shape,
                          config.seed)
    settings = sample_settings(config, value["statistics"], value["sample_batch"],
                               common.ema_choice(value["ema"]))
    samples, labels, codes = draw_samples(experiment.generator, state, value["num"], settings,
                                          experiment.generated_classes, value["seed"],
                                          experiment.latent)
  except UserError as error:
    return common.refuse(error)
  result = {"workdir": os.path.abspath(value["workdir"]), "step": int(state.step),
            "num_samples": value["num"],
            "sample_statistics": "batch" if settings.batch_statistics else "running",
            "sample_batch": settings.batch, "ema": settings.ema, **evaluator(samples, labels, codes),
            **classifier_scores}
  if value["member"] is not None:
    result["member"] = value["member"]
  result["seconds"] = time.time() - start
  print(json.dumps(result))  # before it is saved: a run on a read-only disk still reports
  member = "" if value["member"] is None else f"_member_{value['member']}"
  out = value["out"] or os.path.join(value["workdir"], f"eval_{int(state.step)}{member}.json")
  try:
    with written_whole(out) as temporary, open(temporary, "w") as f:
      json.dump(result, f, indent=2)
  except OutputError as error:
    print(f"error: {error} The result is printed above.", file=sys.stderr)
    return common.SAVE_FAILED
  return 0


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
