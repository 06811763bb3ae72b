"""
Seamless cloning: pasting gradients instead of pixels
=====================================================

Paste a present (matplotlib's sample picture ``Minduka_Present_Blue_Pack``)
into the photograph of Grace Hopper (both ship with matplotlib, nothing is
downloaded), twice:

* naively, copying the pixels: the present's white background shows as a
  patch with a hard seam;
* with :func:`kronlap.image.seamless_clone`, Poisson image editing (Perez,
  Gangnet and Blake 2003): inside the pasted region the result has the
  Laplacian of the source, and on its border the photograph's values, so
  the present's details come through while its background takes on the
  photograph's colours.

A rectangular region is one spectral solve (the DST); the present's own
outline (its alpha channel) is an irregular region, solved by masked
multigrid. The script prints how far each paste jumps across the region's
border (the seam) and writes ``gradient_domain.png``.

Run as ``python examples/gradient_domain.py [--size PIXELS] [--out DIR]``
(default ``image_output``).
"""

import argparse
import time
from pathlib import Path

import matplotlib.cbook as cbook
import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage

from kronlap import image

parser = argparse.ArgumentParser(description="Seamless cloning with kronlap.image.")
parser.add_argument("--out", type=Path, default=Path("image_output"), help="folder")
parser.add_argument("--size", type=int, help="shrink the photograph to at most this many pixels")
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)

# %%
# The two pictures
# ----------------


def shrink(picture, factor):
    """Average ``factor x factor`` blocks."""
    if factor <= 1:
        return picture
    height, width = picture.shape[0] // factor, picture.shape[1] // factor
    blocks = picture[: height * factor, : width * factor]
    return blocks.reshape(height, factor, width, factor, -1).mean(axis=(1, 3))


with cbook.get_sample_data("grace_hopper.jpg") as file:
    target = image.as_float_image(plt.imread(file, format="jpeg"))
with cbook.get_sample_data("Minduka_Present_Blue_Pack.png") as file:
    present = image.as_float_image(plt.imread(file, format="png"))
factor = int(np.ceil(max(target.shape[:2]) / args.size)) if args.size else 1
target = shrink(target, factor)
present = shrink(present, factor)
source, alpha = present[..., :3], present[..., 3]
outline = scipy.ndimage.binary_dilation(alpha > 0.5, iterations=2)
rectangle = np.zeros(outline.shape, dtype=bool)
rectangle[1:-1, 1:-1] = True
offset = (int(0.62 * target.shape[0]), int(0.05 * target.shape[1]))
print(
    f"photograph {target.shape[1]} x {target.shape[0]}, present "
    f"{source.shape[1]} x {source.shape[0]} at row {offset[0]}, column {offset[1]}"
)

# %%
# Three pastes
# ------------
#
# The seam is the mean jump across the border of the pasted region, between
# each pixel inside it and its neighbours outside.


def region_in_target(mask):
    omega = np.zeros(target.shape[:2], dtype=bool)
    rows, cols = np.nonzero(mask)
    omega[rows + offset[0], cols + offset[1]] = True
    return omega


def seam(result, mask):
    """Mean |u_p - u_q| over pixel pairs with p inside the region and q outside."""
    omega = region_in_target(mask)
    jumps = []
    for axis in (0, 1):
        inside, outside = omega, np.roll(omega, 1, axis=axis)
        crossing = inside & ~outside
        jumps.append(np.abs(result - np.roll(result, 1, axis=axis))[crossing])
    return float(np.concatenate(jumps).mean())


naive = target.copy()
naive[region_in_target(rectangle)] = source[rectangle]
results = [("naive paste (rectangle)", naive, rectangle)]
pastes = (("seamless_clone, rectangle", rectangle), ("seamless_clone, outline", outline))
for label, mask in pastes:
    start = time.perf_counter()
    result = image.seamless_clone(source, target, mask, offset)
    seconds = time.perf_counter() - start
    results.append((f"{label} ({seconds:.2f} s)", result, mask))
for label, result, mask in results:
    print(f"{label:<40} seam {seam(result, mask):.4f}")
print(f"{'the photograph itself':<40} seam {seam(target, rectangle):.4f}")

# %%
# The pictures
# ------------

fig, axes = plt.subplots(
    1, 1 + len(results), figsize=(4.0 * (1 + len(results)), 4.6), constrained_layout=True
)
axes[0].imshow(np.clip(source, 0, 1))
axes[0].contour(outline, levels=[0.5], colors="red", linewidths=1)
axes[0].set_title("source, outline in red", fontsize=10)
for ax, (label, result, mask) in zip(axes[1:], results):
    ax.imshow(np.clip(result, 0, 1))
    ax.set_title(f"{label}\nseam {seam(result, mask):.3f}", fontsize=10)
for ax in axes:
    ax.axis("off")
fig.suptitle("Poisson image editing with kronlap.image.seamless_clone")
path = args.out / "gradient_domain.png"
fig.savefig(path, dpi=90)
plt.close(fig)
print(f"wrote {path}")
