"""The method registry: one class per way of solving, each declaring what it takes.

A method class names the options it takes (with their defaults) and what it
can solve: a coefficient, a mask, an indefinite shift, on the GPU. The
facade (:class:`kronlap.PoissonSolver`) asks the registry for the class of
the ``method`` it was given, or for the first that suits the problem when
it was ``"auto"``; an option that the chosen method does not take is a
``TypeError`` naming the option and the methods that do take it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Method", "REGISTRY", "AUTO_ORDER", "register", "resolve", "taking"]

REGISTRY: dict[str, type[Method]] = {}

# "auto" takes the first of these that suits the problem and takes the
# options given: the exact spectral solve, then the geometric and the
# algebraic multigrid, the sparse factorization (which takes an indefinite
# shift with a coefficient or a mask), and the methods only options select.
AUTO_ORDER = ("fft", "gmg", "multigrid", "direct", "cg", "eig")


class Method:
    """One solution method, set up once for a :class:`~kronlap.solvers.problem.Problem`.

    Subclasses set the class attributes, check their options in
    :meth:`check_options`, build what they need in ``__init__`` and solve
    in :meth:`solve`; ``info`` holds every choice they made.

    Attributes
    ----------
    name : str
        The ``method=`` name.
    options : dict
        Option name -> default, the options this method takes beyond the
        facade's common ones.
    gpu, coeff, mask, indefinite : bool
        Whether it runs on cupy, takes a coefficient, a mask, a negative
        shift.
    iterative : bool
        Whether it iterates to ``tol`` (and reports iterations and residual).
    zero_mean : bool
        Whether it returns the zero-mean solution of a singular problem by
        itself (else the facade removes the mean).
    warm_start : bool
        Whether :meth:`solve` takes an initial guess ``x0``.
    orders : tuple of int
        The discretization orders it solves (4: the compact scheme).
    """

    name: ClassVar[str] = ""
    options: ClassVar[dict] = {}
    gpu: ClassVar[bool] = False
    coeff: ClassVar[bool] = False
    mask: ClassVar[bool] = False
    indefinite: ClassVar[bool] = False
    iterative: ClassVar[bool] = False
    zero_mean: ClassVar[bool] = False
    warm_start: ClassVar[bool] = False
    orders: ClassVar[tuple] = (2,)

    def __init__(self, problem, **options):
        self.problem = problem
        self.info = {}

    @classmethod
    def check_options(cls, problem, given: dict) -> dict:
        """The options with defaults filled in; refuse foreign ones (``TypeError``)."""
        for option in given:
            if option not in cls.options:
                raise TypeError(_foreign(cls.name, option))
        return {**cls.options, **given}

    @classmethod
    def refusal(cls, problem) -> str | None:
        """Why this method cannot solve ``problem``, or None if it can."""
        given = [
            what
            for what, present, taken in (
                ("coeff", problem.coeff is not None, cls.coeff),
                ("mask", problem.mask is not None, cls.mask),
            )
            if present and not taken
        ]
        if given:
            return f"method={cls.name!r} cannot take {' and '.join(given)}"
        if problem.order not in cls.orders:
            orders = " or ".join(map(str, cls.orders))
            return f"method={cls.name!r} solves order {orders} only, not order={problem.order}"
        if problem.shift < 0 and not cls.indefinite:
            return (
                f"method={cls.name!r} needs shift >= 0 (a definite operator), got "
                f"{problem.shift}"
            )
        if problem.xp.__name__ != "numpy" and not cls.gpu:
            gpu = tuple(name for name, method in REGISTRY.items() if method.gpu)
            return (
                f"method={cls.name!r} has no GPU path; on the GPU use one of {gpu}, or pass "
                f"backend='numpy' (cupy input is then moved to the host)"
            )
        return None

    @classmethod
    def suits(cls, problem, given: dict) -> bool:
        """Whether ``"auto"`` should take this method for ``problem`` (it can solve it)."""
        return True

    def solve(self, rhs, values, overwrite: bool, x0=None):
        """``(u, iterations, residual)`` for the grid right-hand side ``rhs``.

        ``rhs`` has the boundary data folded in; ``values`` are the values
        outside the mask; ``rhs`` may be used as workspace if ``overwrite``;
        ``x0`` (methods with ``warm_start`` only) is an initial guess on the
        grid.
        """
        raise NotImplementedError


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: add a method to :data:`REGISTRY` under its ``name``."""
    REGISTRY[cls.name] = cls
    return cls


def taking(option: str) -> tuple[str, ...]:
    """The names of the methods that take ``option``.

    Examples
    --------
    >>> import kronlap  # fills the registry
    >>> taking("tridiagonal_axis")
    ('fft',)
    """
    return tuple(sorted(name for name, method in REGISTRY.items() if option in method.options))


def _foreign(name: str, option: str) -> str:
    takers = taking(option)
    if takers:
        where = f"it is an option of method {' or '.join(repr(t) for t in takers)}"
    else:
        where = "no method takes it"
    return f"method={name!r} does not take the option {option!r}: {where}"


def resolve(method: str, problem, given: dict) -> type[Method]:
    """The method class for ``method`` (``"auto"`` resolved) and ``problem``.

    Raises
    ------
    ValueError
        Unknown method, or one that cannot solve the problem (the message
        says why and what can).
    TypeError
        An option that the method does not take.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {('auto', *REGISTRY)}, got {method!r}")
    if method != "auto" and method not in REGISTRY:
        raise ValueError(f"method must be one of {('auto', *REGISTRY)}, got {method!r}")
    if method != "auto":
        cls = REGISTRY[method]
        reason = cls.refusal(problem)
        if reason is not None:
            able = [
                name for name, other in REGISTRY.items() if other.refusal(problem) is None
            ]
            raise ValueError(f"{reason}; use method={' or '.join(map(repr, able)) or None}")
        return cls
    reasons = []
    for name in AUTO_ORDER:
        cls = REGISTRY[name]
        reason = cls.refusal(problem)
        if reason is None and set(given) <= set(cls.options) and cls.suits(problem, given):
            return cls
        reasons.append(reason or f"method={name!r} does not suit the options or problem")
    foreign = [option for option in given if not taking(option)]
    if foreign:
        raise TypeError(_foreign("auto", foreign[0]))
    raise ValueError("method='auto' found no method for this problem: " + "; ".join(reasons))
