"""WGAN paper, Figures 3-7: LSUN bedrooms 64x64 with weight clipping (official WGAN code settings).

`wgan_lsun_bedrooms:ARCH,DATASET` (`configs/arguments.py`)
  ARCH: dcgan (DCGAN G + D), dcgan_nobn (G without BatchNorm and with ngf filters at every
        layer, Fig. 6), mlp_g (4x512 MLP G + DCGAN D, Figs. 3 and 7), mlp (MLP G + MLP D,
        Fig. 4).
  DATASET: lsun (TFDS lsun/bedroom, 64 px, resized and centre-cropped like the official
        Scale(64) + CenterCrop(64)), cifar10 (TFDS, 32 px) or mnist (TFDS, resized to 32 px),
        for machines without LSUN.
Settings: RMSProp(5e-5), c = 0.01, batch 64, nz = 100, ngf = ndf = 64, 5 critic iterations
with 100 for the first 25 generator iterations and every 500th; the official code's
--niter 25 epochs is replaced by a generator-iteration budget.
"""

from wgan_jax.config import base_config, finalize, use_weight_clipping
from wgan_jax.configs import arguments

DATASETS = {
    "lsun": dict(source="tfds", name="lsun/bedroom", image_size=64, channels=3, resize=True),
    "cifar10": dict(source="tfds", name="cifar10", image_size=32, channels=3),
    "mnist": dict(source="tfds", name="mnist", image_size=32, channels=1, resize=True),
}


def wgan_models(arch: str) -> dict:
  dcgan_g = dict(kind="dcgan", latent_dim=100, width=64, n_extra_layers=0, normalization="batch")
  dcgan_d = dict(kind="dcgan", width=64, n_extra_layers=0, normalization="batch")
  mlp_g = dict(kind="mlp", latent_dim=100, width=512, depth=3, output_activation="none")
  mlp_d = dict(kind="mlp", width=512, depth=3)
  if arch == "dcgan":
    return dict(generator=dcgan_g, critic=dcgan_d)
  if arch == "dcgan_nobn":
    # Fig. 6: "without batch normalization and constant number of filters at every layer"
    # (the official DCGAN_G_nobn keeps the halving widths: constant_width=False).
    return dict(generator=dict(dcgan_g, normalization="none", constant_width=True),
                critic=dcgan_d)
  if arch == "mlp_g":
    return dict(generator=mlp_g, critic=dcgan_d)
  if arch == "mlp":
    return dict(generator=mlp_g, critic=mlp_d)
  raise arguments.ConfigError(f"arch {arch!r}: choose one of dcgan, dcgan_nobn, mlp_g, mlp.")


def get_config(arg: str = ""):
  args = arguments.parse(arg, arch="dcgan", dataset="lsun")
  arch, dataset = args.arch, arguments.check_choice("dataset", args.dataset, DATASETS)
  c = base_config()
  c.data.update(DATASETS[dataset])
  c.model.generator = wgan_models(arch)["generator"]
  c.model.critic = wgan_models(arch)["critic"]
  use_weight_clipping(c)
  c.batch_size = 64
  c.n_critic = 5
  c.wgan_schedule = True
  c.num_steps = 100_000
  c.num_sample_images = 64
  return finalize(c)
