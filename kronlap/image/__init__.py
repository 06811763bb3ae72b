"""Image smoothing and denoising: heat flow and Tikhonov smoothing on the pixel grid.

An image of ``H x W`` pixels is a grid function on the cell-centred Neumann
grid ``Grid((H, W), lengths=(H, W), bc="neumann")``, whose spacing is one
pixel (``h = L / n = 1``). Its Laplacian ``Delta_h`` is diagonalized by the
DCT-II, the transform of JPEG, and a reflecting (half-sample symmetric)
image border is exactly its Neumann condition. Color images ``(H, W, C)``
are processed channel by channel (:func:`edge_preserving` shares one
diffusivity between the channels so that edges stay aligned).

Integer images are read as floats in ``[0, 1]`` (divided by the dtype's
maximum, like ``skimage.img_as_float``); results are float64.

:func:`smooth` and :func:`denoise` run on the GPU for cupy images (or with
``backend="cupy"``), by the same code: the DCT-II is ``cupyx.scipy.fft``'s,
and a float32 image stays float32 there.
"""

from .blurring import blur, blur_eigenvalues
from .clone import seamless_clone
from .deconvolution import deblur
from .smoothing import as_float_image, denoise, edge_preserving, pixel_grid, smooth
from .tv import tv_denoise

__all__ = [
    "smooth",
    "denoise",
    "edge_preserving",
    "pixel_grid",
    "as_float_image",
    "blur",
    "blur_eigenvalues",
    "deblur",
    "tv_denoise",
    "seamless_clone",
]
