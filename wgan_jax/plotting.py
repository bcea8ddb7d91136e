"""Pictures people look at: image grids, 2-D sample scatter plots and critic value surfaces.

Drawn on figures outside pyplot's state, so no display is needed and the process's matplotlib
backend is left as the user set it.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from wgan_jax.extras import train_extra
from wgan_jax.outputs import written_whole

with train_extra(__name__):
  import matplotlib.figure
  import matplotlib.image


def to_uint8(images: np.ndarray) -> np.ndarray:
  """[-1, 1] floats -> uint8 pixels."""
  return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
  """Tiles `[N, H, W, C]` uint8 images into one `[rows*H, cols*W, C]` image."""
  n, h, w, c = images.shape
  columns = columns or int(math.ceil(math.sqrt(n)))
  rows = int(math.ceil(n / columns))
  grid = np.full((rows * (h + padding) + padding, columns * (w + padding) + padding, c), 255,
                 np.uint8)
  for i, image in enumerate(images):
    r, col = divmod(i, columns)
    y, x = padding + r * (h + padding), padding + col * (w + padding)
    grid[y:y + h, x:x + w] = image
  return grid


def save_image_grid(images: np.ndarray, path: str, columns: int | None = None) -> None:
  """Writes `[N, H, W, C]` images in [-1, 1] (or uint8) as one PNG grid."""
  pixels = images if images.dtype == np.uint8 else to_uint8(images)
  grid = image_grid(pixels, columns)
  if grid.shape[-1] == 1:
    grid = grid[..., 0]
  with written_whole(path) as temporary:
    matplotlib.image.imsave(temporary, grid, cmap="gray" if grid.ndim == 2 else None, vmin=0,
                            vmax=255)


def save_toy_plot(real: np.ndarray, fake: np.ndarray, path: str,
                  critic_fn: Callable[[np.ndarray], np.ndarray] | None = None,
                  extent: float = 3.0, title: str = "", resolution: int = 128) -> None:
  """Scatter of real (orange) and generated (green) points over the critic's value contours."""
  fig = matplotlib.figure.Figure(figsize=(5, 5), dpi=100)
  ax = fig.subplots()
  if critic_fn is not None:
    axis = np.linspace(-extent, extent, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    values = np.asarray(critic_fn(np.stack([xx.ravel(), yy.ravel()], axis=1))).reshape(xx.shape)
    contours = ax.contourf(xx, yy, values, levels=20, cmap="viridis", alpha=0.7)
    fig.colorbar(contours, ax=ax, fraction=0.046, pad=0.04, label="critic value")
  ax.scatter(real[:, 0], real[:, 1], s=4, c="orange", marker="+", label="real")
  ax.scatter(fake[:, 0], fake[:, 1], s=4, c="green", marker="+", label="generated")
  ax.set_xlim(-extent, extent)
  ax.set_ylim(-extent, extent)
  ax.set_aspect("equal")
  ax.legend(loc="upper right", fontsize=8)
  if title:
    ax.set_title(title)
  fig.tight_layout()
  with written_whole(path) as temporary:
    fig.savefig(temporary)
