"""
Deblurring a photograph by the convolution rule
===============================================

Blur the photograph of Grace Hopper that ships with matplotlib's sample
data (nothing is downloaded) by a Gaussian point-spread function, add
noise, and undo the blur with :func:`kronlap.image.deblur`:

* ``regularizer="identity"``: Tikhonov's ``||u||^2`` penalty;
* ``regularizer="gradient"``: ``||grad u||^2``, whose Laplacian is diagonal
  in the same basis as the blur;
* ``regularizer="tv"``: total variation, by split Bregman, one diagonal
  solve per iteration.

With reflective borders (``mode="reflect"``) the symmetric blur is
diagonalized by the DCT, so each quadratic solve is two transforms; the
weight is chosen by generalized cross-validation (GCV) from the spectrum.
Where scikit-image is installed (``pip install kronlap[compare]``), its
Wiener filter (at its best balance) and Richardson-Lucy stand beside them:
both assume a periodic image, and ring at the border, where the left edge
of the photograph meets its right one. The PSNR against the clean
photograph is in each title, and the second row is a close-up of the left
border.

Run as ``python examples/deblurring.py [--size PIXELS] [--out DIR]``; it
prints the PSNRs and writes ``deblurring.png`` into ``DIR`` (default
``image_output``).
"""

import argparse
import time
from pathlib import Path

import matplotlib.cbook as cbook
import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage

from kronlap import image

parser = argparse.ArgumentParser(description="Deblurring a photograph by the convolution rule.")
parser.add_argument("--out", type=Path, default=Path("image_output"), help="folder")
parser.add_argument("--size", type=int, help="shrink to at most this many pixels")
parser.add_argument("--sigma", type=float, default=2.0, help="blur standard deviation (px)")
parser.add_argument("--noise", type=float, default=0.01, help="noise standard deviation")
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)

# %%
# The photograph, its blur and its noise
# --------------------------------------
#
# The blur is made with ``mode="nearest"`` (the border pixel repeated), a
# border model that none of the methods assumes: the photograph goes on
# beyond its frame in a way nobody knows.


def psnr(estimate, reference):
    """Peak signal-to-noise ratio in dB for images in [0, 1]."""
    return 10.0 * np.log10(1.0 / np.mean((np.clip(estimate, 0, 1) - reference) ** 2))


def load_photo(size=None):
    """Grace Hopper in gray from matplotlib's sample data, floats in [0, 1]."""
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        photo = image.as_float_image(plt.imread(file, format="jpeg")).mean(axis=2)
    if size:
        factor = int(np.ceil(max(photo.shape) / size))
        height, width = photo.shape[0] // factor, photo.shape[1] // factor
        photo = photo[: height * factor, : width * factor]
        photo = photo.reshape(height, factor, width, factor).mean(axis=(1, 3))
    return photo


clean = load_photo(args.size)
radius = int(np.ceil(3 * args.sigma))
x = np.arange(-radius, radius + 1)
kernel = np.exp(-0.5 * x**2 / args.sigma**2)
kernel /= kernel.sum()
psf = np.outer(kernel, kernel)  # separable: the blur matrix is a Kronecker product
rng = np.random.default_rng(0)
observed = scipy.ndimage.convolve(clean, psf, mode="nearest")
observed += rng.normal(0.0, args.noise, clean.shape)
print(
    f"photograph {clean.shape[1]} x {clean.shape[0]} pixels, Gaussian blur sigma "
    f"{args.sigma:g} px ({psf.shape[0]} x {psf.shape[1]}), noise {args.noise:g}"
)

# %%
# Deblurring
# ----------
#
# kronlap's three regularizers, each with the weight that GCV picks, and
# scikit-image's Wiener filter (best of a grid of balances, judged by the
# PSNR against the clean photograph, an oracle no real problem has) and
# Richardson-Lucy (30 iterations) where it is installed.

results = []


def run(label, function):
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    results.append((label, result))
    print(f"{label:<40} PSNR {psnr(result, clean):5.2f} dB  ({seconds:.2f} s)")


try:
    from skimage import restoration
except ImportError:
    restoration = None
    print("scikit-image is not installed: its Wiener and Richardson-Lucy are left out")
if restoration is not None:
    balances = np.geomspace(1e-3, 1.0, 13)
    best = max(balances, key=lambda b: psnr(restoration.wiener(observed, psf, b), clean))
    run(f"skimage wiener, balance {best:.2g}", lambda: restoration.wiener(observed, psf, best))
    run(
        "skimage richardson_lucy, 30 iterations",
        lambda: restoration.richardson_lucy(np.clip(observed, 0, 1), psf, num_iter=30),
    )
for regularizer in ("identity", "gradient", "tv"):
    u, info = image.deblur(observed, psf, regularizer=regularizer, return_info=True)
    run(
        f"kronlap {regularizer}, weight {info['weight']:.2g}",
        lambda r=regularizer: image.deblur(observed, psf, regularizer=r),
    )
print(f"{'blurred':<40} PSNR {psnr(observed, clean):5.2f} dB")

# %%
# The pictures
# ------------
#
# The second row shows the left border (the yellow frame): the periodic
# methods see the photograph's right edge beyond it, and ring.

panels = [("clean photograph", clean), ("blurred and noisy", observed), *results]
height, width = clean.shape
rows = slice(int(0.35 * height), int(0.65 * height))
cols = slice(0, max(int(0.15 * width), 8))
fig, axes = plt.subplots(
    2,
    len(panels),
    figsize=(3.4 * len(panels), 7.6),
    constrained_layout=True,
    gridspec_kw={"height_ratios": [height, 1.2 * height]},
)
for column, (label, picture) in enumerate(panels):
    shown = np.clip(picture, 0.0, 1.0)
    top, bottom = axes[0, column], axes[1, column]
    top.imshow(shown, cmap="gray", vmin=0, vmax=1)
    if picture is not clean:
        label = f"{label}\nPSNR {psnr(picture, clean):.2f} dB"
    top.set_title(label, fontsize=9)
    bottom.imshow(shown[rows, cols], cmap="gray", vmin=0, vmax=1)
    bottom.set_title("left border", fontsize=9)
    top.axis("off")
    bottom.axis("off")
axes[0, 0].add_patch(
    plt.Rectangle(
        (cols.start, rows.start),
        cols.stop - cols.start,
        rows.stop - rows.start,
        fill=False,
        edgecolor="yellow",
        linewidth=1.5,
    )
)
fig.suptitle(
    f"Deblurring a {clean.shape[1]} x {clean.shape[0]} photograph "
    f"(Gaussian blur sigma {args.sigma:g} px, noise {args.noise:g})"
)
path = args.out / "deblurring.png"
fig.savefig(path, dpi=90)
plt.close(fig)
print(f"wrote {path}")
