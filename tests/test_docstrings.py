"""Every public name has a numpydoc docstring with the sections its code calls for.

The public names are ``kronlap.__all__`` and ``kronlap.image.__all__``; for a
class, also its public methods and properties. Each docstring is parsed
with numpydoc's ``docscrape`` and must have

* a one-line summary;
* ``Parameters`` naming exactly the arguments of the signature (for a
  class, those of its ``__init__``), wherever there are any;
* ``Returns`` (or ``Yields``) where the code returns a value;
* ``Raises`` listing every exception the code raises, itself or through
  kronlap's private helpers (a documented base class covers a subclass);
* ``Examples`` with at least one ``>>>`` line (the examples themselves run
  under ``--doctest-modules``).

Properties need a summary only, like numpy's attributes.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import textwrap
import warnings

import pytest

import kronlap
from kronlap import image

docscrape = pytest.importorskip("numpydoc.docscrape")


def _public_objects():
    """``(qualified name, object, owning class or None)`` for every public callable."""
    found = []
    for namespace, names in (("kronlap", kronlap.__all__), ("kronlap.image", image.__all__)):
        module = kronlap if namespace == "kronlap" else image
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants such as AMG_KINDS are described where they live
            qualname = f"{namespace}.{name}"
            found.append((qualname, obj, None))
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if inspect.isfunction(member) or isinstance(member, property):
                        found.append((f"{qualname}.{attr}", member, obj))
    return found


PUBLIC = _public_objects()


def _parse(obj):
    doc = inspect.getdoc(obj)
    assert doc, "no docstring"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown section or a malformed one fails
        return docscrape.NumpyDocString(doc)


def _own_init(cls):
    """``cls.__init__`` if a kronlap class in its MRO defines one, else None."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("kronlap") and "__init__" in vars(klass):
            return vars(klass)["__init__"]
    return None


def _signature_names(func, is_method: bool) -> list[str]:
    names = []
    for k, param in enumerate(inspect.signature(func).parameters.values()):
        if is_method and k == 0:
            continue  # self
        prefix = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        names.append(prefix + param.name)
    return names


def _documented_names(doc) -> list[str]:
    names = []
    for param in doc["Parameters"] + doc["Other Parameters"]:
        names.extend(part.strip() for part in param.name.split(","))
    return names


def _function_node(func) -> ast.FunctionDef:
    source = textwrap.dedent(inspect.getsource(func))
    return ast.parse(source).body[0]


def _own_nodes(node):
    """The AST nodes of a function body, without those of nested functions and classes."""
    stack = list(node.body)
    while stack:
        child = stack.pop()
        yield child
        for grandchild in ast.iter_child_nodes(child):
            if not isinstance(grandchild, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                stack.append(grandchild)


def _returns_value(func) -> bool:
    for node in _own_nodes(_function_node(func)):
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return True
    return False


def _dotted(node) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _resolve(path, namespace):
    obj = namespace.get(path[0], getattr(builtins, path[0], None))
    for attr in path[1:]:
        obj = getattr(obj, attr, None)
    return obj


def _is_private_helper(obj) -> bool:
    return (
        inspect.isfunction(obj)
        and obj.__module__.startswith("kronlap")
        and (obj.__name__.startswith("_") or obj.__module__.split(".")[-1].startswith("_"))
    )


def _raised(func, cls=None, seen=None) -> set[type]:
    """Exception classes raised by ``func`` itself or its private kronlap helpers."""
    seen = set() if seen is None else seen
    if func in seen:
        return set()
    seen.add(func)
    namespace = func.__globals__
    raised = set()
    for node in _own_nodes(_function_node(func)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            path = _dotted(target)
            exc = _resolve(path, namespace) if path else None
            if inspect.isclass(exc) and issubclass(exc, BaseException):
                raised.add(exc)
        elif isinstance(node, ast.Call):
            path = _dotted(node.func)
            if not path:
                continue
            if path[0] == "self" and len(path) == 2 and cls is not None:
                callee = getattr(cls, path[1], None)
            else:
                callee = _resolve(path, namespace)
            if _is_private_helper(callee):
                raised |= _raised(callee, cls, seen)
    return raised


def _documented_exceptions(doc, namespace) -> list[type]:
    found = []
    for entry in doc["Raises"]:
        for name in re.split(r"[,\s]+|\bor\b", entry.type or entry.name):
            name = name.strip("`~. ")
            if not name:
                continue
            exc = _resolve(name.split("."), namespace)
            if exc is None:
                exc = _resolve(name.split(".")[-1:], vars(kronlap))
            if inspect.isclass(exc) and issubclass(exc, BaseException):
                found.append(exc)
    return found


def _problems(obj, owner) -> list[str]:
    if isinstance(obj, property):
        doc = inspect.getdoc(obj)
        return [] if doc and doc.strip() else ["property without a docstring"]
    try:
        doc = _parse(obj)
    except (AssertionError, Warning, ValueError) as exc:
        return [f"docstring does not parse: {exc}"]
    problems = []
    if not " ".join(doc["Summary"]).strip():
        problems.append("no summary line")

    if inspect.isclass(obj):
        code, is_method, needs_returns = _own_init(obj), True, False
    else:
        code, is_method = obj, owner is not None
        needs_returns = _returns_value(obj)

    if code is not None:
        expected = _signature_names(code, is_method)
        documented = _documented_names(doc)
        if expected and not documented:
            problems.append(f"no Parameters section (takes {', '.join(expected)})")
        elif documented != expected:
            missing = [n for n in expected if n not in documented]
            extra = [n for n in documented if n not in expected]
            if missing:
                problems.append(f"Parameters lacks {', '.join(missing)}")
            if extra:
                problems.append(f"Parameters names {', '.join(extra)}, not in the signature")
            if not missing and not extra:
                problems.append("Parameters out of signature order")

        raised = _raised(code, obj if inspect.isclass(obj) else owner)
        documented_exc = _documented_exceptions(doc, code.__globals__)
        undocumented = sorted(
            exc.__name__
            for exc in raised
            if not any(issubclass(exc, known) for known in documented_exc)
        )
        if raised and not doc["Raises"]:
            problems.append(f"no Raises section (raises {', '.join(undocumented)})")
        elif undocumented:
            problems.append(f"Raises lacks {', '.join(undocumented)}")

    if needs_returns and not (doc["Returns"] or doc["Yields"]):
        problems.append("no Returns section")
    if not any(line.lstrip().startswith(">>>") for line in doc["Examples"]):
        problems.append("no Examples section with a >>> line")
    return problems


@pytest.mark.parametrize(
    ("obj", "owner"),
    [pytest.param(obj, owner, id=name) for name, obj, owner in PUBLIC],
)
def test_numpydoc_sections(obj, owner):
    problems = _problems(obj, owner)
    assert not problems, "; ".join(problems)


def _sample(
    a,
    b=1,
):
    """Return ``a + b``.

    Parameters
    ----------
    a : int
        First.

    Returns
    -------
    int
    """
    if a < 0:
        raise ValueError("a must be >= 0")
    return a + b


def test_checker_catches_gaps():
    """The checker itself can fail: a docstring missing sections is reported."""
    problems = _problems(_sample, None)
    assert "Parameters lacks b" in problems
    assert any(p.startswith("no Raises section") for p in problems)
    assert "no Examples section with a >>> line" in problems
    assert "no Returns section" not in problems


def test_public_list_is_not_empty():
    names = {name for name, _, _ in PUBLIC}
    assert {"kronlap.solve_poisson", "kronlap.Grid", "kronlap.PoissonSolver.solve"} <= names
    assert "kronlap.image.smooth" in names
