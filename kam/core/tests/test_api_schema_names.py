"""django-ninja names OpenAPI components by class name: two schemas with one name would silently share one."""

import importlib
import inspect
import pkgutil

from ninja import Schema

import kam


def test_every_api_schema_has_its_own_name():
    seen: dict[str, str] = {}
    clashes = []
    for app in pkgutil.iter_modules(kam.__path__):
        try:
            module = importlib.import_module(f"kam.{app.name}.api")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == module.__name__:
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {module.__name__}")
                seen[name] = module.__name__
    assert len(seen) > 20
    assert not clashes, clashes
