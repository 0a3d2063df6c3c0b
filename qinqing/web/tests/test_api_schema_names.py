"""Every API schema has its own name: ninja names OpenAPI components by class name, so two apps' `CaseOut`
would silently share one component and one of them would be documented (and validated) wrongly."""

import importlib
import inspect
import pkgutil
from collections import defaultdict

from ninja import Schema

import qinqing


def _api_modules():
    for info in pkgutil.walk_packages(qinqing.__path__, "qinqing."):
        last = info.name.rsplit(".", 1)[-1]
        if ".tests" in info.name or not (last == "api" or last.endswith("_api")):
            continue
        yield importlib.import_module(info.name)


def test_no_two_api_schemas_share_a_name():
    owners: dict[str, set[str]] = defaultdict(set)
    for module in _api_modules():
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj is not Schema and obj.__module__ == module.__name__:
                owners[name].add(module.__name__)
    shared = {name: sorted(mods) for name, mods in owners.items() if len(mods) > 1}
    assert shared == {}
