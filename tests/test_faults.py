"""Fault injection on the trainer: what a diverging run, a changed config, a second trainer, a
signal, a failed save or a crash leaves in the run directory, and what the next run does."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from tests.test_train import REPO, TINY_FLAGS, tiny_config
from wgan_jax import builder, rundir, sampling, train as train_module
from wgan_jax.checkpoint import CheckpointMismatchError, Checkpointer, CheckpointSaveError
from wgan_jax.errors import ConfigError
from wgan_jax.train import NonFiniteLossError, train


def quiet_config(**overrides):
  """A tiny toy run without evaluation or sample pictures."""
  return tiny_config(**{"eval.every": 0, "eval.metrics": (), "sample_every": 1000, **overrides})


def _steps_logged(workdir):
  with open(os.path.join(workdir, rundir.METRICS_FILE)) as f:
    return [json.loads(line)["step"] for line in f]


def _saved_steps(workdir):
  return sorted(int(d) for d in os.listdir(os.path.join(workdir, "checkpoints")) if d.isdigit())


def test_a_diverged_state_is_never_saved_and_sampling_refuses_one(tmp_path):
  workdir = str(tmp_path / "run")
  train(quiet_config(num_steps=2, checkpoint_every=1, log_every=1), workdir)
  config = quiet_config(num_steps=6, checkpoint_every=1, log_every=1)
  config.optimizer.generator.learning_rate = 1e39  # the generator's first update overflows
  with pytest.raises(NonFiniteLossError, match=r"non-finite \(NaN or infinity\) at generator "
                     r"iteration 3; .*last good checkpoint \(step 2\)"):
    train(config, workdir, allow_config_change=True)
  assert _saved_steps(workdir) == [1, 2]
  _, _, state = sampling.load_run(workdir)  # the kept checkpoint is finite
  poisoned = state.replace(generator_params=jax.tree_util.tree_map(
      lambda x: np.full_like(x, np.nan), state.generator_params))
  checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), async_save=False)
  checkpointer.save(3, jax.device_get(poisoned))  # as an older trainer could have written
  checkpointer.close()
  with pytest.raises(ValueError, match="step 3 .* NaN or infinite"):
    sampling.load_run(workdir)
  with pytest.raises(NonFiniteLossError, match="step 3 .* NaN or infinite.*delete"):
    train(quiet_config(num_steps=6, checkpoint_every=1, log_every=1), workdir,
          allow_config_change=True)


def test_a_changed_config_is_refused_before_the_run_directory_changes(tmp_path):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=2, log_every=1), str(workdir))
  before = {name: (workdir / name).read_bytes() for name in ("config.json", "metrics.jsonl")}
  changed = quiet_config(num_steps=4, **{"data.name": "25gaussians"})
  with pytest.raises(rundir.ConfigChangedError, match=r"data\.name: '8gaussians' -> '25gaussians'"):
    train(changed, str(workdir))
  assert {name: (workdir / name).read_bytes() for name in before} == before
  assert _saved_steps(workdir) == [2]

  wider = quiet_config(num_steps=4, **{"model.critic.width": 64})
  with pytest.raises(CheckpointMismatchError, match=r"critic_params\.\S+: saved \(32,\), built "
                     r"\(64,\)"):
    train(wider, str(workdir), allow_config_change=True)
  assert (workdir / "config.json").read_bytes() == before["config.json"]

  # A longer run is not a different experiment; an accepted change is recorded.
  result = train(changed, str(workdir), allow_config_change=True)
  assert result["step"] == 4
  assert json.loads((workdir / "config.json").read_text())["data"]["name"] == "25gaussians"
  events = [json.loads(line) for line in (workdir / rundir.HISTORY_FILE).read_text().splitlines()]
  assert [e["event"] for e in events] == ["start", "resume"]
  assert events[1]["step"] == 2
  assert events[1]["config_changes"] == {"data.name": ["8gaussians", "25gaussians"]}


def test_a_second_trainer_is_refused_while_the_first_holds_the_workdir(tmp_path):
  with rundir.WorkdirLock(str(tmp_path)):
    with pytest.raises(rundir.WorkdirBusyError, match=f"pid {os.getpid()}"):
      train(quiet_config(num_steps=2), str(tmp_path))
  assert sorted(os.listdir(tmp_path)) == [rundir.LOCK_FILE]


def test_resume_drops_metrics_logged_after_the_restored_checkpoint(tmp_path):
  workdir = str(tmp_path / "run")
  train(quiet_config(num_steps=4, checkpoint_every=2, log_every=1), workdir)
  checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"))
  checkpointer._manager.delete(4)  # as if killed while saving step 4, after logging it
  checkpointer.close()
  unfinished = os.path.join(workdir, "checkpoints", "4.orbax-checkpoint-tmp")
  os.makedirs(os.path.join(unfinished, "default"))
  train(quiet_config(num_steps=4, checkpoint_every=2, log_every=1), workdir)
  assert not os.path.exists(unfinished)
  assert _steps_logged(workdir) == [1, 2, 3, 4]
  events = [json.loads(line) for line in open(os.path.join(workdir, rundir.HISTORY_FILE))]
  assert events[-1]["event"] == "resume" and events[-1]["metrics_rows_dropped"] == 2


def test_a_failed_save_stops_training_at_once_and_keeps_the_complete_checkpoints(tmp_path,
                                                                                 monkeypatch):
  from orbax.checkpoint._src.handlers import standard_checkpoint_handler as handler

  class DiskFull:
    def result(self, timeout=None):
      raise OSError(errno.ENOSPC, "No space left on device")

  original = handler.StandardCheckpointHandler.async_save

  async def failing_save(self, directory, *args, **kwargs):
    futures = await original(self, directory, *args, **kwargs)
    return list(futures or []) + ([DiskFull()] if "20.orbax-checkpoint-tmp" in str(directory) else [])

  monkeypatch.setattr(handler.StandardCheckpointHandler, "async_save", failing_save)
  workdir = str(tmp_path / "run")
  with pytest.raises(CheckpointSaveError, match=r"step 20 .*disk is full.*kept \(steps 10\)"):
    train(quiet_config(num_steps=60, checkpoint_every=10, keep_checkpoints=1, log_every=1),
          workdir)
  assert max(_steps_logged(workdir)) < 30  # surfaced once the save ended, not at the next one
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["10"]


def test_the_step_compiles_once_and_runs_at_most_one_step_ahead(tmp_path, monkeypatch):
  inside = {"call": None}  # the number of the advance call running now, if any
  compiles, finished, in_flight = [], [], []
  jax.monitoring.register_event_duration_secs_listener(
      lambda event, duration, **kw: compiles.append(inside["call"])
      if event == "/jax/core/compile/backend_compile_duration" and inside["call"] else None)
  make_stepper = train_module._resident_stepper

  def slowly(tree):  # a device step slower than the loop, so a loop that runs ahead shows
    time.sleep(0.1)
    return tree, np.float32(0)  # and a marker that is ready when the state is

  slow = jax.pmap(lambda tree: jax.pure_callback(
      slowly, (tree, jax.ShapeDtypeStruct((), np.float32)), tree), axis_name=train_module.AXIS)

  def counting_stepper(*args):
    advance = make_stepper(*args)

    def counted(state, n_critic):
      in_flight.append(sum(not leaf.is_ready() for leaf in finished[-3:]))
      inside["call"] = len(finished) + 1
      try:
        state, metrics = advance(state, n_critic)
      finally:
        inside["call"] = None
      critic_params, marker = slow(state.critic_params)
      state = state.replace(critic_params=critic_params)
      finished.append(marker)
      return state, metrics

    return counted

  monkeypatch.setattr(train_module, "_resident_stepper", counting_stepper)
  train(quiet_config(num_steps=6, checkpoint_every=6, log_every=6), str(tmp_path / "run"))
  assert compiles == [1]  # the first call compiles the step; the second reuses it
  assert max(in_flight) <= 1


@pytest.mark.slow
def test_script_exit_codes_for_a_signal_and_a_busy_workdir(tmp_path):
  workdir = tmp_path / "run"
  process = subprocess.Popen(
      [sys.executable, str(REPO / "scripts" / "train.py"), f"--workdir={workdir}",
       "--config.num_steps=100000", *TINY_FLAGS], cwd=REPO, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True)
  metrics = workdir / rundir.METRICS_FILE
  deadline = time.time() + 240
  while process.poll() is None and time.time() < deadline and (
      not metrics.exists() or not metrics.read_text()):
    time.sleep(0.2)
  # Users delete *.lock files they think stale: the lock is on the directory, so a second
  # trainer is still refused, and the first puts the holder's name back at its next log row.
  (workdir / rundir.LOCK_FILE).unlink()
  busy = subprocess.run([sys.executable, str(REPO / "scripts" / "train.py"),
                         f"--workdir={workdir}", *TINY_FLAGS], cwd=REPO, capture_output=True,
                        text=True, timeout=300)
  assert busy.returncode == 4, busy.stderr
  assert "in use by another trainer" in busy.stderr and "Traceback" not in busy.stderr
  deadline = time.time() + 60
  while not (workdir / rundir.LOCK_FILE).exists() and time.time() < deadline:
    time.sleep(0.2)
  assert json.loads((workdir / rundir.LOCK_FILE).read_text())["pid"] == process.pid
  process.send_signal(signal.SIGINT)
  out, err = process.communicate(timeout=120)
  assert process.returncode == 75, err
  assert "Stopped by SIGINT" in err and "Finished" not in out
  assert _saved_steps(workdir) == [max(_steps_logged(workdir))]


def test_a_deleted_config_json_is_read_back_from_the_newest_checkpoint(tmp_path):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=2, log_every=1), str(workdir))
  saved = (workdir / rundir.CONFIG_FILE).read_text()
  (workdir / rundir.CONFIG_FILE).unlink()
  reseeded = quiet_config(num_steps=4, seed=7)
  reseeded.optimizer.critic.learning_rate = 1e-3
  with pytest.raises(rundir.ConfigChangedError, match=r"(?s)optimizer\.critic\.learning_rate.*"
                     r"seed: 0 -> 7"):
    train(reseeded, str(workdir))
  assert not (workdir / rundir.CONFIG_FILE).exists() and _saved_steps(workdir) == [2]
  assert train(quiet_config(num_steps=4), str(workdir))["step"] == 4  # the same config resumes
  assert json.loads((workdir / rundir.CONFIG_FILE).read_text()) == rundir.config_json(
      quiet_config(num_steps=4))
  assert json.loads(saved)["seed"] == 0


def test_checkpoints_without_any_saved_config_are_not_resumed_blindly(tmp_path):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=2, log_every=1), str(workdir))
  (workdir / rundir.CONFIG_FILE).unlink()
  reader = Checkpointer(str(workdir / "checkpoints"), read_only=True)
  state = reader.restore(builder.build(quiet_config(), open_data=False).init_state())
  reader.close()
  shutil.rmtree(workdir / "checkpoints" / "2")
  checkpointer = Checkpointer(str(workdir / "checkpoints"), async_save=False)
  checkpointer.save(2, jax.device_get(state))  # as a trainer before configs were saved with them
  checkpointer.close()
  with pytest.raises(rundir.RunDirError, match=r"no config\.json.*step 2.*--allow_config_change"):
    train(quiet_config(num_steps=4), str(workdir))
  assert train(quiet_config(num_steps=4), str(workdir), allow_config_change=True)["step"] == 4


def test_logs_without_checkpoints_are_refused_unless_started_over(tmp_path):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=2, log_every=1), str(workdir))
  shutil.rmtree(workdir / "checkpoints")
  before = (workdir / rundir.METRICS_FILE).read_text()
  with pytest.raises(rundir.RunDirError, match=r"earlier run's logs .*--start_over"):
    train(quiet_config(num_steps=2, seed=3), str(workdir))
  assert (workdir / rundir.METRICS_FILE).read_text() == before
  train(quiet_config(num_steps=2, seed=3, checkpoint_every=2, log_every=1), str(workdir),
        start_over=True)
  moved = [name for name in os.listdir(workdir) if name.startswith("replaced-")]
  assert len(moved) == 1
  assert (workdir / moved[0] / rundir.METRICS_FILE).read_text() == before
  assert json.loads((workdir / moved[0] / rundir.CONFIG_FILE).read_text())["seed"] == 0
  assert json.loads((workdir / rundir.CONFIG_FILE).read_text())["seed"] == 3
  history = [json.loads(line) for line in (workdir / rundir.HISTORY_FILE).read_text().splitlines()]
  assert [h["event"] for h in history] == ["start"]
  assert history[0]["previous_run_moved_to"].endswith(moved[0])


@pytest.mark.parametrize("name, content, message", [
    (rundir.CONFIG_FILE, b"{not json", r"config\.json is not the JSON config"),
    (rundir.METRICS_FILE, b'{"step": 1}\n\xff\xfe garbage\n', r"metrics\.jsonl is not UTF-8"),
])
def test_damaged_run_files_are_named(tmp_path, name, content, message):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=2, log_every=1), str(workdir))
  (workdir / name).write_bytes(content)
  with pytest.raises(rundir.RunDirError, match=message):
    train(quiet_config(num_steps=4), str(workdir))


def test_stop_signals_by_phase_start_up_training_and_after_the_save():
  def deliver(sig):
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs in this thread at the next instruction

  previous = signal.getsignal(signal.SIGHUP)
  with train_module._StopRequested() as stop:
    with pytest.raises(train_module.StoppedBySignal) as stopped:
      deliver(signal.SIGINT)  # start-up: stop at once, one line, exit 130
    assert stopped.value.before_training and stopped.value.signal_number == signal.SIGINT
    stop.training()
    deliver(signal.SIGHUP)  # a closed terminal: save and stop, as SIGTERM does
    assert stop.signal_name == "SIGHUP"
    stop.saved()
    deliver(signal.SIGTERM)  # after the save: ignored, the exit code stays 75
    assert stop.signal_name == "SIGHUP"
  assert signal.getsignal(signal.SIGHUP) == previous
  with train_module._StopRequested() as stop:
    stop.training()
    deliver(signal.SIGTERM)
    with pytest.raises(train_module.StoppedBySignal) as stopped:
      deliver(signal.SIGTERM)  # a second signal before the save: abort without it
    assert not stopped.value.before_training


@pytest.mark.slow
def test_a_closed_terminal_saves_and_stops_like_sigterm(tmp_path):
  workdir = tmp_path / "run"
  process = subprocess.Popen([sys.executable, "-m", "wgan_jax.train", f"--workdir={workdir}",
                              *TINY_FLAGS, "--config.num_steps=100000", "--config.log_every=1"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  metrics = workdir / rundir.METRICS_FILE
  deadline = time.time() + 240
  while process.poll() is None and time.time() < deadline and (
      not metrics.exists() or not metrics.read_text()):
    time.sleep(0.2)
  process.send_signal(signal.SIGHUP)
  _, err = process.communicate(timeout=120)
  assert process.returncode == 75, err
  assert "Stopped by SIGHUP" in err and "Traceback" not in err
  assert _saved_steps(workdir) == [max(_steps_logged(workdir))]


def test_running_out_of_device_memory_names_the_settings_to_lower(tmp_path, monkeypatch):
  def exhausted_stepper(*args):
    def advance(placed, n_critic):  # what XLA raises when a buffer does not fit
      raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to "
                                       "allocate 1.20TiB.")
    return advance

  monkeypatch.setattr(train_module, "_stepper", exhausted_stepper)
  with pytest.raises(train_module.OutOfDeviceMemoryError,
                     match=r"ran out of memory \(RESOURCE_EXHAUSTED.*batch_size=16 over \d "
                           r"device.*Lower --config\.batch_size"):
    train(quiet_config(num_steps=2), str(tmp_path / "run"))
  assert issubclass(train_module.OutOfDeviceMemoryError, ConfigError)  # one line, exit code 2


@pytest.mark.slow
def test_sampling_a_truncated_checkpoint_names_the_folder_to_delete(tmp_path):
  workdir = tmp_path / "run"
  train(quiet_config(num_steps=2, checkpoint_every=1, log_every=1), str(workdir))
  for data in (workdir / "checkpoints" / "2").rglob("d/*"):
    if data.is_file():
      data.write_bytes(data.read_bytes()[:10])
  result = subprocess.run([sys.executable, "-m", "wgan_jax.sample", f"--workdir={workdir}",
                           f"--out={tmp_path / 's.png'}"], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
  assert result.returncode == 2, result.stderr
  error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
  assert "step 2 cannot be read" in error and "Delete that folder" in error
  assert "Task exception was never retrieved" not in result.stderr
  assert not (tmp_path / "s.png").exists()
