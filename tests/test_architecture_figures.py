"""The WGAN-GP paper's architecture studies (Fig. 2 and Table 1) end to end at a tiny size, and
their bookkeeping: outcome counts, diverged runs, interrupted runs."""

import json
import subprocess
import sys

import pytest

from wgan_jax import paper
from wgan_jax.paper import runs as trained
from wgan_jax.paper import studies, wgangp_fig2, wgangp_table2
from wgan_jax.train import NonFiniteLossError

pytestmark = pytest.mark.slow  # figures made of training runs

SHALLOW = 19  # a random architecture with 4 layers in G and in D: the cheapest to compile


def _tiny(name, data_path, keep):
  """Figure `name` on the tiny digits at width 4, 4 iterations, keeping only the runs `keep`."""
  c = paper.figure(name).get_config()
  with c.unlocked():
    c.runs = {label: c.runs[label] for label in keep}
  c.data_path, c.local_source = data_path, "npz"
  c.quick.update(dict(num_steps=4, sample_every=4, log_every=2, eval_samples=64))
  for run in c.runs.values():
    run.data.update(dict(image_size=32, channels=1, resize=True))
    run.batch_size = 8
    run.model.critic.width = 4
    if run.model.generator.kind != "mlp":
      run.model.generator.width = 4
  return c


def test_fig2_puts_methods_in_columns_and_scores_every_cell(digits, tmp_path):
  c = _tiny("wgangp_fig2", digits, keep=("no_norm-lsgan", "tanh-wgan-gp-one-sided"))
  c.quick.architectures = 2
  data = wgangp_fig2.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "wgangp_fig2.png").stat().st_size > 0
  assert json.loads((tmp_path / "wgangp_fig2.json").read_text())["quick"] is True
  assert data["architectures"] == ["no_norm", "tanh"]
  assert data["methods"] == ["lsgan", "wgan-gp-one-sided"]
  assert set(data["scores"]["no_norm"]) == {"lsgan"}  # cells without a run stay empty
  assert set(data["scores"]["tanh"]) == {"wgan-gp-one-sided"}
  for run in data["runs"]:
    assert 1 <= run["score"] <= 10 and run["diverged"] is None
    assert run["score"] == run["final"]["mnist_inception_score"]
  one_sided = next(r for r in data["runs"] if r["label"] == "tanh-wgan-gp-one-sided")
  assert one_sided["constraint"] == "penalty" and one_sided["critic"]["activation"] == "tanh"
  assert data["reaching"]["lsgan"]["1"] == 1 and data["reaching"]["wgan-gp-one-sided"]["1"] == 1
  # A second call reuses the finished runs.
  again = wgangp_fig2.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert again["scores"] == data["scores"]


def test_table2_counts_each_architecture_under_both_methods(digits, tmp_path):
  c = _tiny("wgangp_table2", digits,
            keep=(f"random-{SHALLOW}-wgan-gp", f"random-{SHALLOW}-dcgan"))
  data = wgangp_table2.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert (tmp_path / "wgangp_table2.png").stat().st_size > 0
  (row,) = data["rows"]
  assert row["index"] == SHALLOW
  assert row["architecture"].startswith("G: tanh, 4 layers, 4 filters; D: relu, 4 layers")
  assert (row["gan"]["objective"], row["wgan-gp"]["objective"]) == ("gan", "wasserstein")
  scores = (row["gan"]["score"], row["wgan-gp"]["score"])
  for threshold, counts in data["counts"].items():
    assert sum(counts.values()) == 1
    assert tuple(counts.values()) == wgangp_table2.outcome_counts(*([s] for s in scores),
                                                            float(threshold))
  gan, penalty = scores
  assert data["higher_score"] == {"WGAN-GP": int(penalty > gan), "GAN": int(gan > penalty),
                                  "tie": int(gan == penalty)}
  assert data["diverged"] == {"WGAN-GP": 0, "GAN": 0}
  assert data["paper"]["counts"]["5"] == {"only GAN": 0, "only WGAN-GP": 147, "both": 42,
                                          "neither": 11}


def test_outcome_counts_split_architectures_by_which_method_reaches_the_score():
  gan = [1.0, 6.0, 6.0, 2.0, 9.5]
  wgangp = [6.0, 1.0, 7.0, 2.0, 9.5]
  assert wgangp_table2.outcome_counts(gan, wgangp, 5.0) == (1, 1, 2, 1)
  assert wgangp_table2.outcome_counts(gan, wgangp, 9.0) == (0, 0, 1, 4)
  assert wgangp_table2.outcome_counts(gan, wgangp, 1.0) == (1, 1, 3, 0)


def test_a_score_equal_to_the_minimum_is_not_a_success():
  assert wgangp_table2.outcome_counts([3.0], [3.0001], 3.0) == (0, 1, 0, 0)


def test_the_paper_counts_cover_its_200_architectures_at_every_threshold():
  for counts in wgangp_table2.PAPER_OUTCOMES.values():
    assert sum(counts) == 200
  # Raising the minimum can only lose successes, for each method.
  ordered = [wgangp_table2.PAPER_OUTCOMES[t] for t in sorted(wgangp_table2.PAPER_OUTCOMES)]
  for low, high in zip(ordered, ordered[1:]):
    assert high[0] + high[2] <= low[0] + low[2] and high[1] + high[2] <= low[1] + low[2]


def test_the_study_counts_at_every_threshold_the_paper_lists():
  c = wgangp_table2.get_config()
  assert sorted(c.thresholds) == sorted(wgangp_table2.PAPER_OUTCOMES)


@pytest.fixture
def diverging(monkeypatch):
  """Every run diverges at once; yields the labels that were trained, in order."""
  calls = []

  def diverge(fig, label, workdir, quick):
    calls.append(label)
    raise NonFiniteLossError("Non-finite critic_loss = nan at generator iteration 7; ...")

  monkeypatch.setattr(studies, "train_or_load", diverge)
  return calls


def test_a_diverged_run_counts_as_failed_and_is_not_trained_again(tmp_path, diverging):
  c = wgangp_table2.get_config()
  calls = diverging
  first = studies.train_or_mark_diverged(c, "random-0-dcgan", str(tmp_path), quick=True)
  second = studies.train_or_mark_diverged(c, "random-0-dcgan", str(tmp_path), quick=True)
  assert calls == ["random-0-dcgan"]
  for outcome in (first, second):
    assert outcome["score"] == studies.FAILED_SCORE and outcome["record"] is None
    assert "iteration 7" in outcome["diverged"]
  marker = json.loads((tmp_path / first["directory"].split("/")[-1] / "diverged.json").read_text())
  assert "critic_loss = nan" in marker["message"]


def test_an_interrupted_run_stops_the_figure_rather_than_counting_as_failed(digits, tmp_path,
                                                                           monkeypatch):
  c = _tiny("wgangp_fig2", digits, keep=("dcgan-dcgan",))
  monkeypatch.setattr(trained, "train",
                      lambda config, workdir, **options: {"step": 2, "stopped_by": "SIGINT"})
  with pytest.raises(trained.RunInterrupted, match="stopped at step 2 of 4 .SIGINT.*resumes"):
    wgangp_fig2.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert not (tmp_path / "wgangp_fig2.png").exists()
  assert not list((tmp_path / "runs").glob("*/diverged.json"))


def test_trained_only_draws_the_finished_runs_and_trains_nothing(digits, tmp_path, monkeypatch):
  c = _tiny("wgangp_table2", digits, keep=("random-0-wgan-gp", "random-0-dcgan"))
  c.trained_only = True
  monkeypatch.setattr(trained, "train", lambda config, workdir, **options: pytest.fail("trained a run"))
  data = wgangp_table2.make(c, str(tmp_path), str(tmp_path / "runs"), quick=True)
  assert data["architectures"] == 0 and data["rows"] == []
  assert data["counts"]["1"] == {"only GAN": 0, "only WGAN-GP": 0, "both": 0, "neither": 0}


def test_a_run_another_process_holds_is_left_out_until_that_process_dies(tmp_path, diverging):
  c = wgangp_table2.get_config()
  config = trained.prepared_run(c, "random-0-dcgan", True)
  directory = trained.run_directory(str(tmp_path), "random-0-dcgan", config)
  holder = subprocess.Popen(  # claims the run, says so, and waits to be killed
      [sys.executable, "-c", "import sys; from wgan_jax.paper import studies "
       "as f\nwith f.claimed(sys.argv[1]) as mine:\n  print(mine, flush=True)\n  "
       "sys.stdin.read()", directory], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == "True"
    assert studies.train_or_mark_diverged(c, "random-0-dcgan", str(tmp_path), True) is None
    assert diverging == []
  finally:
    holder.kill()  # no clean exit: the OS ends the claim
    holder.wait()
  outcome = studies.train_or_mark_diverged(c, "random-0-dcgan", str(tmp_path), True)
  assert diverging == ["random-0-dcgan"] and outcome["diverged"]


def test_a_claim_is_held_while_training_and_released_after(tmp_path):
  with studies.claimed(str(tmp_path / "run")) as mine:
    assert mine
    with studies.claimed(str(tmp_path / "run")) as again:
      assert not again
  with studies.claimed(str(tmp_path / "run")) as later:
    assert later


def test_the_sample_strip_shows_the_widest_gaps_each_way():
  scores = [(1.0, 3.0), (2.0, 2.0), (5.0, 1.0), (1.0, 1.5), (3.0, 2.9), (1.0, 9.0)]
  rows = [{"index": i, "gan": {"score": g}, "wgan-gp": {"score": w}}
          for i, (g, w) in enumerate(scores)]
  assert [r["index"] for r in wgangp_table2._widest_gaps(rows)] == [5, 0, 2, 4]
  assert wgangp_table2._widest_gaps(rows[1:2]) == []  # a tie shows nothing
