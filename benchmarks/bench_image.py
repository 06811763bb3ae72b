"""kronlap.image against scikit-image: deblurring, TV denoising and blurring, PSNR and time.

Run as ``python benchmarks/bench_image.py [--size 512] [--repeat 3] [--skip-blur]
[--images camera moon astronaut]``
(needs ``pip install kronlap[compare]`` for scikit-image). Every method is
given its best parameter on a grid, judged by PSNR against the clean image
(an oracle choice, the same for everyone); kronlap's ``weight=None`` (GCV)
is reported beside its best weight. Times are the best of ``--repeat``
calls at the chosen parameter.

The test images ship inside scikit-image (nothing is downloaded): the
cameraman, the moon and the astronaut (in gray), 512 x 512. The blurred
data are made with ``scipy.ndimage.convolve(..., mode="nearest")``: a
border model that none of the methods assumes (Wiener and Richardson-Lucy
in scikit-image are periodic, kronlap's ``mode="reflect"`` is mirrored).
All results are clipped to ``[0, 1]`` before the PSNR.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.ndimage

from kronlap import image

try:
    from skimage import color, data, restoration
except ImportError as exc:  # pragma: no cover
    raise SystemExit("bench_image.py needs scikit-image: pip install kronlap[compare]") from exc


def psnr(estimate, reference):
    clipped = np.clip(estimate, 0.0, 1.0)
    return 10.0 * np.log10(1.0 / np.mean((clipped - reference) ** 2))


def timed(function, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def gaussian_psf(sigma):
    radius = int(np.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1)
    g = np.exp(-0.5 * x**2 / sigma**2)
    g /= g.sum()
    return np.outer(g, g)


def motion_psf(length):
    """A diagonal motion blur: centrosymmetric but not doubly symmetric (kronlap's CG path)."""
    return np.eye(length) / length


def images(size):
    photos = {
        "camera": data.camera() / 255.0,
        "moon": data.moon() / 255.0,
        "astronaut": color.rgb2gray(data.astronaut()),
    }
    return {name: photo[:size, :size].astype(np.float64) for name, photo in photos.items()}


def best_of(run, parameters, clean):
    """``(psnr, parameter, result)`` of the best parameter on the grid."""
    scored = [(psnr(result, clean), p, result) for p in parameters for result in [run(p)]]
    return max(scored, key=lambda item: item[0])


def deblur_case(name, clean, psf, noise, repeat, rng):
    blurred = scipy.ndimage.convolve(clean, psf, mode="nearest")
    observed = blurred + rng.normal(0.0, noise, clean.shape)
    rows = []

    score, balance, _ = best_of(
        lambda b: restoration.wiener(observed, psf, b), np.geomspace(1e-4, 3.0, 19), clean
    )
    _, seconds = timed(lambda: restoration.wiener(observed, psf, balance), repeat)
    rows.append(("skimage wiener", f"balance={balance:.3g}", score, seconds))

    score, count, _ = best_of(
        lambda n: restoration.richardson_lucy(np.clip(observed, 0, 1), psf, num_iter=n),
        (2, 5, 10, 20, 40),
        clean,
    )
    _, seconds = timed(
        lambda: restoration.richardson_lucy(np.clip(observed, 0, 1), psf, num_iter=count), 1
    )
    rows.append(("skimage richardson_lucy", f"num_iter={count}", score, seconds))

    for regularizer in ("identity", "gradient", "tv"):
        u, info = image.deblur(observed, psf, regularizer=regularizer, return_info=True)
        gcv_weight = info["weight"]
        _, gcv_seconds = timed(
            lambda r=regularizer: image.deblur(observed, psf, regularizer=r),
            repeat if regularizer != "tv" else 1,
        )
        factors = np.geomspace(0.05, 20.0, 11 if regularizer != "tv" else 7)
        score, weight, _ = best_of(
            lambda w, r=regularizer: image.deblur(observed, psf, regularizer=r, weight=w),
            gcv_weight * factors,
            clean,
        )
        _, seconds = timed(
            lambda w=weight, r=regularizer: image.deblur(observed, psf, regularizer=r, weight=w),
            repeat if regularizer != "tv" else 1,
        )
        rows.append(
            (f"kronlap {regularizer} ({info['method']})", f"weight={weight:.3g}", score, seconds)
        )
        rows.append(
            (
                f"kronlap {regularizer}, GCV",
                f"weight={gcv_weight:.3g}",
                psnr(u, clean),
                gcv_seconds,
            )
        )
    return psnr(observed, clean), rows


def tv_case(clean, noise, repeat, rng):
    noisy = clean + rng.normal(0.0, noise, clean.shape)
    rows = []
    weights = noise * np.geomspace(0.2, 3.0, 9)
    score, weight, _ = best_of(
        lambda w: restoration.denoise_tv_chambolle(noisy, weight=w), weights, clean
    )
    _, seconds = timed(lambda: restoration.denoise_tv_chambolle(noisy, weight=weight), repeat)
    rows.append(("skimage denoise_tv_chambolle", f"weight={weight:.3g}", score, seconds))
    chambolle_weight = weight

    score, weight, _ = best_of(
        lambda w: restoration.denoise_tv_bregman(noisy, weight=w), 1.0 / weights, clean
    )
    _, seconds = timed(lambda: restoration.denoise_tv_bregman(noisy, weight=weight), repeat)
    rows.append(("skimage denoise_tv_bregman", f"weight={weight:.3g}", score, seconds))

    result, seconds = timed(lambda: image.tv_denoise(noisy, chambolle_weight), repeat)
    rows.append(
        (
            "kronlap tv_denoise (chambolle's w)",
            f"weight={chambolle_weight:.3g}",
            psnr(result, clean),
            seconds,
        )
    )
    score, weight, _ = best_of(lambda w: image.tv_denoise(noisy, w), weights, clean)
    _, seconds = timed(lambda: image.tv_denoise(noisy, weight), repeat)
    rows.append(("kronlap tv_denoise", f"weight={weight:.3g}", score, seconds))
    return psnr(noisy, clean), rows


def print_rows(title, baseline, rows):
    print(f"\n{title}   (input PSNR {baseline:.2f} dB)")
    for method, parameter, score, seconds in rows:
        print(f"  {method:<38} {parameter:<18} PSNR {score:6.2f} dB  {seconds * 1e3:8.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="crop the images to this")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    parser.add_argument("--skip-blur", action="store_true", help="skip the 2048^2 blur")
    parser.add_argument(
        "--images", nargs="+", default=["camera", "moon", "astronaut"], help="which images"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    photos = {name: photo for name, photo in images(args.size).items() if name in args.images}

    print("== Deblurring (mode='reflect' for kronlap) ==")
    cases = [
        ("gaussian sigma=1.5", gaussian_psf(1.5), 0.005),
        ("gaussian sigma=2", gaussian_psf(2.0), 0.02),
        ("gaussian sigma=3", gaussian_psf(3.0), 0.05),
        ("motion 9 px diagonal", motion_psf(9), 0.01),
    ]
    for name, clean in photos.items():
        for label, psf, noise in cases:
            baseline, rows = deblur_case(name, clean, psf, noise, args.repeat, rng)
            print_rows(f"{name}, {label}, noise {noise}", baseline, rows)

    print("\n== TV denoising ==")
    for name, clean in photos.items():
        for noise in (0.02, 0.05, 0.1):
            baseline, rows = tv_case(clean, noise, args.repeat, rng)
            print_rows(f"{name}, noise {noise}", baseline, rows)

    if not args.skip_blur:
        print("\n== blur, 31 x 31 PSF on 2048 x 2048 ==")
        big = rng.random((2048, 2048))
        psf = rng.random((31, 31))
        psf /= psf.sum()
        ours, ours_s = timed(lambda: image.blur(big, psf), 2)
        theirs, theirs_s = timed(lambda: scipy.ndimage.convolve(big, psf, mode="reflect"), 1)
        print(f"  kronlap blur            {ours_s:7.2f} s")
        print(f"  scipy.ndimage.convolve  {theirs_s:7.2f} s   ({theirs_s / ours_s:.1f}x slower)")
        print(f"  max difference          {np.abs(ours - theirs).max():.2e}")


if __name__ == "__main__":
    main()
