"""Settings of the papers' training-run figures and tables: `configs/paper/training_figures.py:NAME`.

NAME is one of
  wgan_fig3     WGAN Fig. 3: the Wasserstein estimate (-critic loss, median-filtered) against
                generator iterations, with samples, for MLP G + DCGAN critic, DCGAN G + DCGAN
                critic, and MLP G + MLP critic (high learning rates);
  wgan_fig4     WGAN Fig. 4: the standard GAN's Jensen-Shannon estimate in the same settings;
  wgan_fig5     WGAN Fig. 5: WGAN against GAN samples, DCGAN generator;
  wgan_fig6     WGAN Fig. 6: the same with a generator without BatchNorm;
  wgan_fig7     WGAN Fig. 7: the same with the 4x512 MLP generator;
  wgangp_fig3   WGAN-GP Fig. 3: FID against generator iterations and against training wall-clock
                on CIFAR-10 for weight clipping, penalty + RMSProp, penalty + Adam and DCGAN;
  wgangp_fig5b  WGAN-GP Fig. 5b: the negative critic loss on the training set against a
                validation set, training on 1,000 MNIST digits, penalty and clipping;
  wgangp_table3 WGAN-GP Table 3: the CIFAR-10 ResNet, unsupervised and AC-GAN conditional:
                parameter counts at full size, the step's measured rate at `timing_width`,
                and FID of both trained at `trained_width` for `num_steps` iterations.
  wgangp_language  WGAN-GP Section 5.5 / Table 4: the character-level language model trained
                with the penalty and with the standard GAN loss, the same continuous
                generator: n-gram Jensen-Shannon divergences (n = 1..4) against their
                held-out floors, and samples of each.
  gan_saturation  The original GAN's minimax generator loss log(1 - D(G(z))) against the
                non-saturating -log D(G(z)) (Goodfellow et al. 2014, Section 3), same MLP
                networks on MNIST: the generator's gradient norm and the discriminator's
                verdict on fakes over training, and samples of each.
  conditional_mnist  Class-conditional GANs on MNIST (Mirza and Osindero 2014): the label
                joined to the discriminator's input or a projection discriminator, under the
                standard GAN loss and WGAN-GP, the same MLPs: how often the shipped classifier
                names the class asked for, per class, and class-by-row samples.
  semi_supervised_mnist  The semi-supervised GAN on MNIST with 100 labels (Salimans et al.
                2016): the K+1-way discriminator's test error as a classifier over training and
                per class, with feature matching and with the non-saturating generator loss,
                against the same network trained on the 100 labelled digits alone.
  infogan_mnist  InfoGAN on MNIST (Chen et al. 2016): how often the categorical code names the
                digit over training, and the latent traversals of the paper's Fig. 2 (one row
                per categorical value, each continuous code swept from -2 to 2).
  wgangp_fig2   WGAN-GP Fig. 2 (Section 5.2): seven architectures, each trained with the DCGAN
                loss, LSGAN, weight clipping, the penalty and the one-sided penalty, one set of
                hyperparameters per method (`configs/architecture_studies.py`): samples laid out
                like the paper's figure and the MNIST Inception-like score of every cell.
  wgangp_table2 WGAN-GP Section 5.1 / Tables 1-2: random architectures drawn from Table 1's
                distribution, each trained with WGAN-GP and the standard GAN under Appendix
                B's recipe: how many score above each minimum (Table 2's 1, 3, 5, 7, 9 and
                Appendix Table 5's steps of 0.5 between) with only one method, both or neither.

Every figure is a set of named training runs (`runs`), each a complete trainer config built
from the experiment configs in `configs/` and then scaled down to what a CPU finishes:
the paper's settings (optimizers, n_critic, clipping, penalty, batch, architecture shape) are
kept; widths and iteration counts are not (see docs/REPRODUCTION.md). The WGAN paper's
LSUN bedrooms are replaced by MNIST at 32 px (`configs/wgan_lsun_bedrooms.py:ARCH,lsun` is
the full-size config). Runs shared by several figures (Figs. 3-7 use eight) are trained once.
`data_path` (scripts/reproduce.py --data_path) reads local files instead of TFDS. The
figure-level settings (`num_steps`, `eval_every`, `sample_every`, `conv_width`, ...) are
followed by every run until a run's own value is set: `--config.num_steps=3000` lengthens all
runs, `--config.runs.clip.num_steps=3000` one.
"""

import ml_collections

from configs import architecture_studies, conditional_gan, gan_baseline, infogan
from configs import semi_supervised_gan
from configs import wgan_gp_cifar
from configs import wgan_gp_cifar_resnet
from configs import wgan_gp_language
from configs import wgan_gp_mnist
from configs import wgan_lsun_bedrooms

WGAN_ARCHS = {"wgan_fig3": ("mlp_g", "dcgan", "mlp"), "wgan_fig4": ("mlp_g", "dcgan", "mlp"),
              "wgan_fig5": ("dcgan",), "wgan_fig6": ("dcgan_nobn",), "wgan_fig7": ("mlp_g",)}
FIGURE_NAMES = (*WGAN_ARCHS, "wgangp_fig3", "wgangp_fig5b", "wgangp_table3", "wgangp_language",
                "gan_saturation", "conditional_mnist", "semi_supervised_mnist", "infogan_mnist",
                "wgangp_fig2", "wgangp_table2")
# Both losses with both ways into the critic, on the same MLPs.
CONDITIONAL_RUNS = {"gan_mlp_input": "gan,mlp,input", "gan_mlp_projection": "gan,mlp,projection",
                    "wgangp_mlp_input": "wgan-gp,mlp,input",
                    "wgangp_mlp_projection": "wgan-gp,mlp,projection"}

# The supervised baseline and the semi-supervised GAN under both generator losses.
SEMI_SUPERVISED_RUNS = ("supervised", "feature_matching", "gan")

# Section 5.1: random architectures, each trained with both methods (the paper: 200).
TABLE2_ARCHITECTURES = 40
TABLE2_METHODS = ("wgan-gp", "dcgan")

# MNIST at 32 px in place of LSUN bedrooms at 64 px.
_MNIST32 = dict(source="tfds", name="mnist", image_size=32, channels=1, resize=True)


def _follows(c: ml_collections.ConfigDict, key: str):
  """A run setting that follows figure setting `key` (so `--config.KEY=...` changes every run)
  until the run's own value is set (`--config.runs.NAME.KEY=...` changes that run only)."""
  return c.get_ref(key).identity()


def _scaled(run: ml_collections.ConfigDict, overrides: dict) -> ml_collections.ConfigDict:
  """`run` with dotted-key overrides (`"model.critic.width": 32`) and its data held on the device."""
  run.update_from_flattened_dict(overrides)
  run.data.device_resident = True
  return run


def _wgan_runs(archs, c) -> dict:
  """WGAN (weight clipping, RMSProp 5e-5) and GAN runs on MNIST for each generator/critic pair."""
  runs = {}
  for arch in archs:
    overrides = {"num_steps": _follows(c, "num_steps"), "log_every": _follows(c, "log_every"),
                 "sample_every": _follows(c, "sample_every"),
                 "checkpoint_every": _follows(c, "sample_every"),
                 # Sample quality at the end from the shipped MNIST classifier.
                 "eval.metrics": ("mnist",), "eval.num_samples": 2000}
    if arch in ("dcgan", "dcgan_nobn"):
      overrides["model.generator.width"] = _follows(c, "conv_width")
    if arch != "mlp":
      overrides["model.critic.width"] = _follows(c, "conv_width")
    wgan = _scaled(wgan_lsun_bedrooms.get_config(f"{arch},mnist"), overrides)
    gan = _scaled(gan_baseline.get_config(f"gan,{arch},mnist"), overrides)
    if arch == "mlp":  # Fig. 3 bottom: "substantially high learning rates (so training failed)"
      wgan.optimizer.generator.learning_rate = _follows(c, "mlp_learning_rate")
      wgan.optimizer.critic.learning_rate = _follows(c, "mlp_learning_rate")
    runs[f"wgan_{arch}"], runs[f"gan_{arch}"] = wgan, gan
  return runs


def _set_fid_scoring(c: ml_collections.ConfigDict, num_steps: int, eval_every: int) -> None:
  """The figure-level keys of CIFAR-10 runs of `num_steps` iterations scored every `eval_every`."""
  c.local_source = "image_folder"
  c.num_steps, c.eval_every, c.checkpoint_every = num_steps, eval_every, 250
  c.quality_metric = "fid"  # the logged metric plotted ('kid' needs the same Inception weights)
  c.fid_samples = 500  # generated images per FID, against 1,000 training images


def _fid_scored(c: ml_collections.ConfigDict) -> dict:
  """One run's settings that follow those keys (new references per run, so that a run's own
  `--config.runs.NAME.KEY=...` changes that run only)."""
  return {"num_steps": _follows(c, "num_steps"), "log_every": 25,
          "sample_every": _follows(c, "eval_every"),
          "checkpoint_every": _follows(c, "checkpoint_every"),
          "eval.every": _follows(c, "eval_every"), "eval.metrics": (c.quality_metric,),
          "eval.num_samples": _follows(c, "fid_samples"), "eval.num_reference": 1000}


def _set_study_keys(c: ml_collections.ConfigDict) -> None:
  """The figure-level keys both architecture studies share."""
  c.num_steps = 400
  c.log_every = 10
  c.checkpoint_every = 100
  c.eval_samples = 1000  # samples behind each run's score
  c.thresholds = (1.0, 3.0, 5.0, 7.0, 9.0)  # the paper's minimum Inception scores
  c.batch_size = 64
  c.quick.update(dict(eval_samples=50))
  # True: draw only the runs already finished in --workdir (a study in progress).
  c.trained_only = False


def _architecture_runs(c: ml_collections.ConfigDict, arch: str, methods) -> dict:
  """`{ARCH-METHOD: run}`: `configs/architecture_studies.py` runs on MNIST at 32 px, scored at
  the end by the shipped classifier's Inception-like score."""
  runs = {}
  for method in methods:
    run = architecture_studies.get_config(f"{arch},{method},mnist32")
    overrides = {"num_steps": _follows(c, "num_steps"), "log_every": _follows(c, "log_every"),
                 "sample_every": _follows(c, "num_steps"),
                 "checkpoint_every": _follows(c, "checkpoint_every"),
                 "eval.metrics": ("mnist",), "eval.num_samples": _follows(c, "eval_samples"),
                 "batch_size": _follows(c, "batch_size")}
    if arch.startswith("random-"):  # the drawn filter counts, scaled
      drawn = architecture_studies.random_architecture(int(arch.split("-", 1)[1]))
      overrides["model.generator.width"] = (c.get_ref("filter_scale") * drawn.g_filters).to_int()
      overrides["model.critic.width"] = (c.get_ref("filter_scale") * drawn.d_filters).to_int()
    else:  # DIM of the convolutional networks; the MLP generator keeps its 512 units
      if run.model.generator.kind != "mlp":
        overrides["model.generator.width"] = _follows(c, "width")
      overrides["model.critic.width"] = _follows(c, "width")
    runs[f"{arch}-{method}"] = _scaled(run, overrides)
  return runs


def get_config(name: str = "wgan_fig3"):
  if name not in FIGURE_NAMES:
    raise ValueError(f"Unknown figure {name!r}; choose one of {', '.join(FIGURE_NAMES)}.")
  c = ml_collections.ConfigDict()
  c.name = name
  c.data_path = ""  # a local MNIST IDX directory / CIFAR-10 image folder instead of TFDS
  c.local_source = "mnist_idx"
  c.median_filter = 21  # logged points in the running median of the loss curves
  c.quick = ml_collections.ConfigDict(dict(num_steps=40, sample_every=20, log_every=2,
                                           eval_every=20, eval_samples=100, reference=200))
  if name in WGAN_ARCHS:
    c.num_steps = 2000
    c.log_every = 5
    c.sample_every = 250
    c.conv_width = 32  # ngf = ndf (the paper: 64)
    c.mlp_learning_rate = 1e-3  # Fig. 3 bottom's deliberately high learning rate (20x)
    c.sample_stages = (250, 500, 1000, 2000)
    c.runs = ml_collections.ConfigDict(_wgan_runs(WGAN_ARCHS[name], c))
    for run in c.runs.values():
      run.data.update(_MNIST32)
  elif name == "wgangp_fig3":
    _set_fid_scoring(c, num_steps=3000, eval_every=500)
    c.runs = ml_collections.ConfigDict()
    for mode in ("clip", "penalty_rmsprop", "penalty_adam", "dcgan"):
      c.runs[mode] = _scaled(wgan_gp_cifar.get_config(mode), {
          "model.generator.width": 32, "model.critic.width": 32, **_fid_scored(c)})
  elif name == "wgangp_fig5b":
    c.num_steps = 500
    c.train_examples = 1000
    c.validation_examples = 1000
    c.measure_every = 20
    c.measure_batch = 1000  # real and fake examples behind each loss estimate
    c.quick.update(dict(num_steps=20, log_every=10))
    c.runs = ml_collections.ConfigDict()
    for label, mode in (("penalty", "wgan-gp"), ("clip", "wgan")):
      c.runs[label] = _scaled(wgan_gp_mnist.get_config(mode), {
          "num_steps": _follows(c, "num_steps"), "eval.metrics": ()})
  elif name == "wgangp_table3":
    c.timed_steps = 3  # generator iterations timed per run after compilation
    c.timing_width = 128  # DIM_G = DIM_D of the timed step: the paper's
    c.quick.timing_width = 8
    c.published_inception_score = ml_collections.ConfigDict(dict(unsupervised=7.86,
                                                                 acgan=8.42))
    # The scaled runs trained and FID-scored here: the paper's step at DIM = `trained_width`,
    # `num_steps` iterations with the learning rates decayed to 0 over them (paper: 128, 100k).
    c.train_scaled = True  # False: only count the parameters and time the step
    c.trained_width = 32
    _set_fid_scoring(c, num_steps=1000, eval_every=250)
    c.runs = ml_collections.ConfigDict()
    for label, arg in (("unsupervised", ""), ("acgan", "acgan")):
      c.runs[label] = _scaled(wgan_gp_cifar_resnet.get_config(arg), {})  # as published
      c.runs[f"{label}_scaled"] = _scaled(wgan_gp_cifar_resnet.get_config(arg), {
          "model.generator.width": _follows(c, "trained_width"),
          "model.critic.width": _follows(c, "trained_width"),
          "optimizer.linear_decay_steps": _follows(c, "num_steps"), **_fid_scored(c)})
  elif name == "wgangp_language":
    # Local text by default: the 15,207 entries of the `fortunes` corpus (blocks between '%'
    # lines), each cut or padded to 32 characters, in place of the Billion Word benchmark.
    c.local_source = "text"
    c.separator = "%"
    # Width 64: about 1.1 s per penalised and 0.9 s per standard-GAN iteration on the 2-core
    # development CPU; width 128 timed 3.4x slower than 64 in scripts/benchmark.py.
    c.num_steps = 2000
    c.eval_every = 100  # ngram scores on eval.num_samples = 640 samples, as the official code
    c.width = 64  # DIM of both networks (the paper: 512)
    c.sample_lines = 12  # samples of each run shown in the figure
    c.quick.update(dict(eval_samples=32))
    c.runs = ml_collections.ConfigDict()
    for mode in ("wgan-gp", "gan"):
      c.runs[mode] = _scaled(wgan_gp_language.get_config(mode), {
          "num_steps": _follows(c, "num_steps"), "log_every": 20,
          "sample_every": _follows(c, "eval_every"), "eval.every": _follows(c, "eval_every"),
          "checkpoint_every": 250, "data.separator": _follows(c, "separator"),
          "model.generator.width": _follows(c, "width"),
          "model.critic.width": _follows(c, "width")})
    # The standard GAN's discriminator tells one-hot text from softmax outputs within the
    # first 20 iterations (its loss reaches 0, the JS estimate log 2) and stays there: half the
    # iterations show the same.
    c.runs["gan"].num_steps = 1000
  elif name == "gan_saturation":
    c.num_steps = 1000
    c.log_every = 5
    c.sample_every = 250
    c.sample_stages = (250, 1000)
    c.early_steps = 100  # the window of "early in learning" summarised in the JSON
    c.quick.update(dict(num_steps=20, sample_every=10))
    c.runs = ml_collections.ConfigDict()
    for label, objective in (("non_saturating", "gan"), ("minimax", "minimax")):
      c.runs[label] = _scaled(gan_baseline.get_config(f"{objective},mlp,mnist"), {
          "num_steps": _follows(c, "num_steps"), "log_every": _follows(c, "log_every"),
          "sample_every": _follows(c, "sample_every"),
          "checkpoint_every": _follows(c, "sample_every"),
          "eval.metrics": ("mnist",), "eval.num_samples": 2000})
      c.runs[label].data.update(_MNIST32)
  elif name == "conditional_mnist":
    c.num_steps = 2000
    c.log_every = 20
    c.eval_every = 250  # the label accuracy (and MNIST metrics) on eval.num_samples samples
    c.accuracy_samples = 2000  # samples behind the per-class accuracy (classes in turn)
    c.grid_columns = 10  # samples of each class in the figure's class-by-row grids
    c.quick.update(dict(eval_samples=40))
    c.runs = ml_collections.ConfigDict()
    for label, arg in CONDITIONAL_RUNS.items():
      overrides = {"num_steps": _follows(c, "num_steps"), "log_every": _follows(c, "log_every"),
                   "sample_every": _follows(c, "eval_every"),
                   "checkpoint_every": _follows(c, "eval_every"),
                   "eval.every": _follows(c, "eval_every"), "eval.num_samples": 1000}
      c.runs[label] = _scaled(conditional_gan.get_config(arg), overrides)
  elif name == "semi_supervised_mnist":
    c.num_steps = 10_000
    c.log_every = 50
    c.eval_every = 1000  # the discriminator's error on the 10,000 test digits
    c.labels_per_class = 10
    c.runs = ml_collections.ConfigDict()
    for mode in SEMI_SUPERVISED_RUNS:
      overrides = {"num_steps": _follows(c, "num_steps"), "log_every": _follows(c, "log_every"),
                   "sample_every": _follows(c, "eval_every"),
                   "checkpoint_every": _follows(c, "eval_every"),
                   "eval.every": _follows(c, "eval_every"), "eval.num_samples": 1000,
                   "data.labelled_per_class": _follows(c, "labels_per_class")}
      c.runs[mode] = _scaled(semi_supervised_gan.get_config(mode), overrides)
  elif name == "infogan_mnist":
    c.num_steps = 10_000
    c.eval_every = 1000  # the code accuracy on eval.num_samples samples
    c.accuracy_samples = 2000  # samples behind the final code accuracy and code-digit matching
    c.traversal_steps = 10  # columns of each traversal
    c.traversal_span = 2.0  # each continuous code swept over [-span, span] (trained on [-1, 1])
    c.quick.update(dict(eval_samples=40))
    c.runs = ml_collections.ConfigDict()
    c.runs["infogan"] = _scaled(infogan.get_config("gan"), {
        "num_steps": _follows(c, "num_steps"), "log_every": 50,
        "sample_every": _follows(c, "eval_every"), "checkpoint_every": _follows(c, "eval_every"),
        "eval.every": _follows(c, "eval_every")})
  elif name == "wgangp_fig2":
    _set_study_keys(c)
    c.width = 16  # DIM of G and D (gan_64x64.py: 64)
    c.architectures = architecture_studies.FIG2_ARCHS  # rows, top to bottom
    c.arch_titles = dict(architecture_studies.FIG2_TITLES)
    c.methods = architecture_studies.METHODS  # columns
    c.runs = ml_collections.ConfigDict()
    for arch in c.architectures:
      c.runs.update(_architecture_runs(c, arch, c.methods))
  elif name == "wgangp_table2":
    _set_study_keys(c)
    # CPU scale: an eighth of the drawn 32, 64 or 128 filters, and batches of 16. A deep
    # critic's penalised step costs seconds on two cores even so (docs/REPRODUCTION.md).
    c.filter_scale = 0.125
    c.batch_size = 16
    c.thresholds = tuple(1.0 + 0.5 * k for k in range(17))  # Appendix Table 5's, 1 to 9
    c.runs = ml_collections.ConfigDict()
    for index in range(TABLE2_ARCHITECTURES):
      c.runs.update(_architecture_runs(c, f"random-{index}", TABLE2_METHODS))
  c.lock()
  return c
