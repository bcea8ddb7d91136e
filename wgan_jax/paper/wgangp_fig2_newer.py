"""WGAN-GP Fig. 2's seven architectures under two methods that came after the paper: spectral
normalization with the hinge loss (SN-GAN's recipe) and the R1 penalty with the GAN loss (Mescheder
et al. 2018's), each with its own paper's optimizer and n_critic, drawn and scored as Fig. 2 is."""

from __future__ import annotations

from wgan_jax.configs import architecture_studies
from wgan_jax.paper import wgangp_fig2

drawn_runs = wgangp_fig2.drawn_runs
make = wgangp_fig2.make


def get_config():
  return wgangp_fig2.get_config("wgangp_fig2_newer", architecture_studies.NEWER_METHODS)
