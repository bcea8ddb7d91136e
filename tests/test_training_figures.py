"""The training-run figures (WGAN Figs. 3-7, WGAN-GP Figs. 3 and 5b, Table 3, the language model,
the GAN saturation curves, the conditional and semi-supervised GANs) end to end at a tiny size."""

import json

import jax
import numpy as np
import pytest

from wgan_jax import paper
from wgan_jax.paper import runs, wgangp_table3

pytestmark = pytest.mark.slow  # figures made of training runs


def _tiny(name, data_path, image_size=16, keep=None, **model_widths):
  """Figure `name` on the tiny digits, 4 iterations, keeping only the runs in `keep`."""
  c = paper.figure(name).get_config()
  if keep:
    with c.unlocked():
      c.runs = {label: c.runs[label] for label in keep}
  c.data_path, c.local_source = data_path, "npz"
  c.quick.update(dict(num_steps=4, sample_every=2, log_every=1, eval_every=2))
  for run in c.runs.values():  # the WGAN-GP DCGANs take 28 (MNIST) or 32 px: resized here
    run.data.update(dict(image_size=image_size, channels=1, resize=image_size != 16))
    run.batch_size = 8
    run.eval.num_samples = 64
    for role in ("generator", "critic"):
      run.model[role].width = model_widths.get(run.model[role].kind, 8)
  return c


def test_wgan_loss_curves_and_samples(digits, tmp_path):
  c = _tiny("wgan_fig3", digits, keep=("wgan_mlp_g", "wgan_mlp"), mlp=16)
  with c.unlocked():
    c.sample_stages = (2, 4)
  data = paper.figure("wgan_fig3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "wgan_fig3.png").stat().st_size > 0
  assert json.loads((tmp_path / "wgan_fig3.json").read_text())["quick"] is True
  assert [r["label"] for r in data["runs"]] == ["wgan_mlp_g", "wgan_mlp"]
  for run in data["runs"]:
    assert run["steps"] == [1, 2, 3, 4]
    assert len(run["wasserstein_estimate_filtered"]) == 4
    assert run["sample_stages"] == [2, 4]
    assert {"mnist_frechet", "mnist_class_entropy"} <= set(run["final_scores"])
  assert data["runs"][1]["optimizer"]["learning_rate"] == c.mlp_learning_rate
  # A second call reuses the finished runs instead of training them again.
  again = paper.figure("wgan_fig3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert again["runs"][0]["wasserstein_estimate"] == data["runs"][0]["wasserstein_estimate"]


def test_wgangp_quality_against_time(digits, tmp_path):
  c = _tiny("wgangp_fig3", digits, image_size=32, keep=("dcgan",))
  c.quality_metric = "mnist_frechet"  # FID needs the Inception weights, absent in CI
  for run in c.runs.values():
    run.eval.metrics = ("mnist",)
  data = paper.figure("wgangp_fig3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert [r["label"] for r in data["runs"]] == ["dcgan"]
  for run in data["runs"]:
    assert run["steps"] == [2, 4]
    assert run["train_sec"][0] < run["train_sec"][1]
    assert all(np.isfinite(run["mnist_frechet"]))


def test_overfitting_curves_measure_both_sets(digits, tmp_path):
  c = _tiny("wgangp_fig5b", digits, image_size=28, keep=("penalty",))
  c.train_examples, c.validation_examples, c.measure_batch = 32, 32, 32
  data = paper.figure("wgangp_fig5b").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  for curve in data["curves"]:
    assert curve["steps"] == [1, 2, 3, 4]
    assert all(np.isfinite(curve["train"] + curve["validation"]))
  assert (tmp_path / "wgangp_fig5b.png").stat().st_size > 0


def test_table3_counts_the_configured_models_and_times_the_step_at_the_timing_width(tmp_path):
  c = _tiny("wgangp_table3", "", image_size=32, keep=("acgan",))
  c.quick.timing_width = 4
  c.train_scaled = False
  data = paper.figure("wgangp_table3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert data["trained"] == []
  (row,) = data["rows"]
  assert row["label"] == "acgan" and (row["config_width"], row["timed_width"]) == (8, 4)
  assert row["timed_num_classes"] == 10  # the conditional step is timed, with labels
  # Parameters are counted at the config's own width (8 here), not the timing width.
  assert (row["generator_params"], row["critic_params"]) == wgangp_table3.parameter_counts(
      runs.prepared_run(c, "acgan", True))
  assert row["gen_iters_per_sec"] > 0 and row["projected_hours"] > 0
  assert row["published_inception_score"] == 8.42
  assert (tmp_path / "wgangp_table3.png").stat().st_size > 0


def test_table3_trains_the_scaled_conditional_run_and_scores_it(digits, tmp_path):
  c = _tiny("wgangp_table3", digits, image_size=32, keep=("acgan", "acgan_scaled"))
  c.quick.timing_width = 4
  run = c.runs.acgan_scaled
  c.quality_metric = "mnist_frechet"  # FID needs the Inception weights, absent in CI
  run.eval.metrics = ("mnist",)
  data = paper.figure("wgangp_table3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  (trained,) = data["trained"]
  assert trained["label"] == "acgan" and trained["num_steps"] == 4
  assert 0.0 <= trained["generator_acgan_accuracy"] <= 1.0
  assert trained["final_samples"] == 4
  assert trained["steps"] == [2, 4] and all(np.isfinite(trained["mnist_frechet"]))
  assert (tmp_path / "wgangp_table3.png").stat().st_size > 0


def test_read_metrics_sums_training_time_over_resumptions(tmp_path):
  lines = [{"step": 10, "train_sec": 5.0}, {"step": 20, "train_sec": 10.0},
           {"step": 30, "train_sec": 15.0},  # killed here; resumed from the step-20 checkpoint
           {"step": 30, "train_sec": 4.0}, {"step": 40, "train_sec": 9.0}]
  path = tmp_path / "metrics.jsonl"
  path.write_text("".join(json.dumps(line) + "\n" for line in lines))
  records = runs.read_metrics(str(path))
  assert [(r["step"], r["train_sec"]) for r in records] == [(10, 5.0), (20, 10.0), (30, 14.0),
                                                            (40, 19.0)]


def test_a_run_stopped_by_a_signal_stops_the_figure(digits, tmp_path, monkeypatch):
  c = _tiny("wgan_fig3", digits, keep=("wgan_mlp",), mlp=16)
  monkeypatch.setattr(runs, "train",
                      lambda config, workdir, **options: {"step": 2, "stopped_by": "SIGTERM"})
  with pytest.raises(runs.RunInterrupted, match="stopped at step 2 of 4 .SIGTERM.*resumes"):
    paper.figure("wgan_fig3").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert not (tmp_path / "wgan_fig3.png").exists()


def test_a_trained_run_leaves_no_compiled_programs_behind(digits, tmp_path, monkeypatch):
  # A study trains dozens of runs in one process: XLA maps each compiled program into memory,
  # and kept programs would exhaust the kernel's map count limit after some 20 runs.
  compiled = jax.jit(lambda x: x + 1)
  c = _tiny("wgan_fig3", digits, keep=("wgan_mlp",), mlp=16)

  def train(config, workdir, **options):
    compiled(1.0)
    assert compiled._cache_size() == 1
    return {"step": 2, "stopped_by": "SIGTERM"}

  monkeypatch.setattr(runs, "train", train)
  with pytest.raises(runs.RunInterrupted):
    runs.train_or_load(c, "wgan_mlp", str(tmp_path), quick=True)
  assert compiled._cache_size() == 0


@pytest.mark.parametrize("name", ["wgangp_fig3", "wgangp_table3"])
def test_the_quick_form_of_an_fid_item_scores_once_on_a_small_sample(name):
  fig = paper.figure(name).get_config()
  label = next(label for label in fig.runs if "fid" in fig.runs[label].eval.metrics)
  quick, full = (runs.prepared_run(fig, label, quick=q) for q in (True, False))
  assert (quick.num_steps, quick.eval.every) == (10, 10)  # one FID, at the end
  assert (quick.eval.num_samples, quick.eval.num_reference) == (25, 50)
  assert full.eval.num_samples == 500  # the full form unchanged


def test_unknown_figure_name_is_refused():
  with pytest.raises(ValueError, match="wgangp_fig5b"):
    paper.figure("wgan_fig9")


def test_language_curves_and_samples(tmp_path):
  corpus = tmp_path / "sayings"
  corpus.write_text("%\n".join(f"saying number {i}\nwith a second line\n" for i in range(60)))
  c = paper.figure("wgangp_language").get_config()
  c.data_path = str(corpus)
  c.width = 8  # every run follows
  c.quick.update(dict(num_steps=4, sample_every=2, log_every=1, eval_every=2))
  for run in c.runs.values():
    run.batch_size, run.n_critic, run.num_sample_images = 8, 2, 5
    run.data.seq_len = 12
    run.model.generator.num_blocks = run.model.critic.num_blocks = 1
  data = paper.figure("wgangp_language").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "wgangp_language.png").stat().st_size > 0
  assert [r["label"] for r in data["runs"]] == ["wgan-gp", "gan"]
  assert data["runs"][1]["objective"] == "gan" and data["runs"][1]["constraint"] == "none"
  for run in data["runs"]:
    assert run["generator"]["width"] == 8 and run["eval_samples"] == 32
    for n in (1, 2, 3, 4):
      assert run["curves"][n]["steps"] == [2, 4]
      assert 0.0 <= run["final"][f"ngram_js{n}"] <= 1.0
    assert len(run["samples"]) == 5 and all(len(line) == 12 for line in run["samples"])
  assert set(data["floors"]) == {1, 2, 3, 4}


def test_saturation_curves_compare_the_two_generator_losses(digits, tmp_path):
  c = _tiny("gan_saturation", digits, mlp=16)
  with c.unlocked():
    c.sample_stages = (2, 4)
  data = paper.figure("gan_saturation").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "gan_saturation.png").stat().st_size > 0
  assert [(r["label"], r["objective"]) for r in data["runs"]] == [
      ("non_saturating", "gan"), ("minimax", "minimax")]
  for run in data["runs"]:
    assert run["curves"]["steps"] == [1, 2, 3, 4] and run["early_steps"] == 2
    assert run["early_generator_grad_norm_median"] > 0
    assert 0 < run["early_d_of_fake_median"] < 1
    assert {"mnist_frechet", "mnist_class_entropy"} <= set(run["final"])


def test_conditional_figure_scores_each_class_and_draws_class_rows(digits, tmp_path):
  c = _tiny("conditional_mnist", digits, keep=("gan_mlp_input", "wgangp_mlp_projection"),
            mlp=16)
  with c.unlocked():
    c.grid_columns = 3
  data = paper.figure("conditional_mnist").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "conditional_mnist.png").stat().st_size > 0
  assert [(r["label"], r["critic"]["conditioning"]) for r in data["runs"]] == [
      ("gan_mlp_input", "input"), ("wgangp_mlp_projection", "projection")]
  for run in data["runs"]:
    accuracy = run["label_accuracy"]
    assert accuracy["samples"] == 40 and len(accuracy["per_class"]) == 10
    assert accuracy["accuracy"] == pytest.approx(np.mean(accuracy["per_class"]))
    assert run["accuracy_curve"]["steps"] == [2, 4]
    assert 0 <= run["final"]["mnist_label_accuracy"] <= 1



def test_semi_supervised_figure_scores_the_discriminator_against_the_labels_alone(digits, tmp_path):
  c = _tiny("semi_supervised_mnist", digits, mlp=16)
  with c.unlocked():
    c.labels_per_class = 2
  data = paper.figure("semi_supervised_mnist").make(c, str(tmp_path), str(tmp_path / "runs"),
                                                   quick=True)
  assert (tmp_path / "semi_supervised_mnist.png").stat().st_size > 0
  assert [(r["label"], r["objective"], r["feature_matching"]) for r in data["runs"]] == [
      ("supervised", "supervised", False), ("feature_matching", "gan", True),
      ("gan", "gan", False)]
  for run in data["runs"]:
    assert run["labelled_per_class"] == 2 and run["test_examples"] == 64
    assert run["test_errors"] == round(run["test_error"] * 64)
    assert len(run["per_class_error"]) == 10
    assert run["error_curve"]["steps"] == [2, 4]
    # The last logged error is the final checkpoint's, recomputed here per class.
    assert run["error_curve"]["classifier_error"][-1] == pytest.approx(run["test_error"])
  assert data["paper"]["test_error"] == 0.0093


def test_infogan_figure_scores_the_code_and_draws_both_traversals(digits, tmp_path):
  c = _tiny("infogan_mnist", digits, mlp=16)
  with c.unlocked():
    c.traversal_steps = 4
  data = paper.figure("infogan_mnist").make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "infogan_mnist.png").stat().st_size > 0
  run = data["run"]
  assert run["samples"] == c.quick.eval_samples and 0.1 <= run["code_accuracy"] <= 1
  matched = [d for d in run["digit_of_code"] if d >= 0]
  assert len(run["digit_of_code"]) == 10 and len(set(matched)) == len(matched)  # one-to-one
  assert run["accuracy_curve"]["steps"] == [2, 4]
  assert data["paper"]["code_accuracy"] == 0.95


def test_run_names_change_with_settings_but_not_with_a_new_option_at_its_default(monkeypatch):
  import ml_collections
  from wgan_jax.config import base_config
  run = paper.figure("wgangp_fig3").get_config().runs["clip"]
  name = runs.run_directory("w", "clip", run)

  def without_feature_matching(config):  # the library before it had this option
    config = config.to_dict()
    del config["feature_matching"]
    return ml_collections.ConfigDict(config)

  monkeypatch.setattr(runs, "base_config", lambda: without_feature_matching(base_config()))
  assert runs.run_directory("w", "clip", without_feature_matching(run)) == name
  monkeypatch.undo()
  changed = ml_collections.ConfigDict(run.to_dict())
  changed.n_critic = 4
  assert runs.run_directory("w", "clip", changed) != name
  changed = ml_collections.ConfigDict(run.to_dict())
  del changed["model"]["critic"]["normalization"]  # absent is not the same as any value
  assert runs.run_directory("w", "clip", changed) != name


def test_seed_spread_trains_each_method_as_one_population_and_draws_every_seed(tmp_path):
  c = paper.figure("seed_spread_toy").get_config()
  c.seeds, c.eval_samples = 2, 64
  c.quick.update(dict(num_steps=4, eval_every=2, sample_every=4, log_every=2))
  with c.unlocked():
    c.runs = {label: c.runs[label] for label in ("clip", "one_sided")}
  for run in c.runs.values():
    run.batch_size, run.model.generator.width, run.model.critic.width = 16, 8, 8
  data = paper.figure("seed_spread_toy").make(c, str(tmp_path), str(tmp_path / "runs"),
                                              quick=True)
  assert sorted(data["methods"]) == ["clip", "one_sided"]
  for method in data["methods"].values():
    assert method["seeds"] == [0, 1] and method["steps"] == [2, 4]
    assert sorted(method["w1"]) == ["0", "1"] and len(method["median"]) == 2
  runs = data["provenance"]["runs"]
  assert runs["one_sided"]["settings"]["population.size"] == 2
  assert runs["one_sided"]["settings"]["constraint.one_sided"] is True


def test_mnist_seed_spread_draws_both_estimates_and_their_tracking(digits, tmp_path):
  c = _tiny("seed_spread_mnist", digits)
  c.seeds, c.median_filter = 2, 3
  c.quick.update(dict(num_steps=6, eval_every=2, sample_every=6))
  data = paper.figure("seed_spread_mnist").make(c, str(tmp_path), str(tmp_path / "runs"),
                                                quick=True)
  assert sorted(data["methods"]) == ["gan_dcgan", "wgan_dcgan"]
  wgan = data["methods"]["wgan_dcgan"]
  assert wgan["estimate"] == "wasserstein_estimate" and wgan["seeds"] == [0, 1]
  assert wgan["quality_steps"] == [2, 4, 6] and sorted(wgan["quality"]) == ["0", "1"]
  assert all(rho is None or -1 <= rho <= 1 for rho in wgan["tracking_spearman"].values())
  assert data["methods"]["gan_dcgan"]["estimate"] == "js_estimate"
  assert data["provenance"]["runs"]["gan_dcgan"]["settings"]["population.size"] == 2


def test_tracking_is_the_rank_correlation_at_the_evaluated_steps():
  from wgan_jax.paper.seed_spread_mnist import tracking

  steps = np.arange(1, 11)
  estimate = (steps, 10.0 - steps)  # falls throughout
  assert tracking(estimate, (np.array([2, 5, 9]), np.array([30.0, 20.0, 5.0]))) == 1.0
  assert tracking(estimate, (np.array([2, 5, 9]), np.array([5.0, 20.0, 30.0]))) == -1.0
  assert tracking(estimate, (np.array([2, 5]), np.array([5.0, 20.0]))) is None  # too few


def test_lr_lambda_heat_map_places_every_cell(tmp_path):
  from wgan_jax.paper import lr_lambda_toy

  c = lr_lambda_toy.get_config()
  c.quick.update(dict(num_steps=4, eval_every=2, sample_every=4, log_every=2))
  c.final_evals = 2
  run = c.runs.grid
  run.population.sweep = lr_lambda_toy.grid_sweep((1e-4, 1e-3), (0.1, 10.0), run.seed)
  run.population.size = 4
  run.batch_size, run.model.generator.width, run.model.critic.width = 16, 8, 8
  run.eval.num_samples = 64
  data = lr_lambda_toy.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert data["learning_rates"] == [1e-4, 1e-3] and data["lambdas"] == [0.1, 10.0]
  w1 = np.array(data["final_w1"])
  assert w1.shape == (2, 2) and np.isfinite(w1).all()
  for member, cell in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):  # row-major, as swept
    assert w1[cell] == np.median(data["w1"][str(member)][-2:])
  settings = data["provenance"]["runs"]["grid"]["settings"]
  assert settings["population.size"] == 4
  assert (tmp_path / "lr_lambda_toy.png").stat().st_size > 0
  saved = json.loads((tmp_path / "lr_lambda_toy.json").read_text())
  assert saved["seconds"] > 0 and "_started" not in saved  # the item's time, training included
