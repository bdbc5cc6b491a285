"""The shape of the house (issue 10): no import cycle, tasks only wire options, the core and
the maths modules stay below the run contract, tfrecords_tools stands alone.

The imports are read from the source (every ``import`` statement, those inside functions
included), one node per module; importing ``a.b.c`` is an edge to ``a.b.c`` only (not to the
packages above it, which Python runs first but which are not what the module uses).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("keras_taskadapt", "export", "tfrecords_tools")


def module_files():
    """``{module name: path}`` of every module of the three packages."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


MODULES = module_files()


def imported_modules(name, path):
    """The package modules ``name`` imports anywhere in its source."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in MODULES)
    found.discard(name)
    return found


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def strongly_connected(graph):
    """Tarjan's components of more than one module (the import cycles)."""
    index, low, stack, on_stack, components, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_walk_sees_the_imports():
    assert "keras_taskadapt.core.errors" in GRAPH["keras_taskadapt.core.registry"]
    assert "keras_taskadapt.hierarchical.latent.split_codec" in GRAPH["keras_taskadapt.hierarchical.latent"]
    assert "keras_taskadapt.commands.registry" in GRAPH["keras_taskadapt.tasks.jcc"]


def test_there_is_no_import_cycle():
    assert strongly_connected(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("task", sorted(name for name in MODULES if name.startswith("keras_taskadapt.tasks.")))
def test_no_task_imports_another_task(task):
    others = {name for name in GRAPH[task] if name.startswith("keras_taskadapt.tasks.")}
    assert others == set()


def test_only_the_cli_imports_the_tasks():
    importers = {name for name, targets in GRAPH.items() if "keras_taskadapt.tasks" in targets}
    assert importers == {"keras_taskadapt.cli"}
    assert not any(target.startswith("keras_taskadapt.tasks") for name in MODULES
                   if not name.startswith(("keras_taskadapt.tasks", "keras_taskadapt.cli")) for target in GRAPH[name])


def test_the_core_uses_nothing_above_it():
    for name in (module for module in MODULES if module.startswith("keras_taskadapt.core")):
        assert all(target.startswith("keras_taskadapt.core") or target == "keras_taskadapt"
                   for target in GRAPH[name]), name


#: Maths modules: layers, losses, transforms, coders. They may use the core's files and
#: figures, never the run contract.
MATHS = ("keras_taskadapt.losses", "keras_taskadapt.hierarchical.latent", "keras_taskadapt.hierarchical.transforms",
         "keras_taskadapt.hierarchical.pruning.discriminative_power", "keras_taskadapt.hierarchical.pruning.structured",
         "keras_taskadapt.jpeg.codec", "keras_taskadapt.jpeg.quantization", "keras_taskadapt.jpeg.table_files",
         "keras_taskadapt.jpeg.files", "keras_taskadapt.salinity.plots", "keras_taskadapt.salinity.metrics")


def test_maths_modules_do_not_import_the_run_contract():
    for name in (module for module in MODULES if module.startswith(MATHS)):
        assert "keras_taskadapt.core.run_directory" not in GRAPH[name], name
        assert "keras_taskadapt.experiment" not in GRAPH[name], name


def test_tfrecords_tools_stands_alone():
    for name in (module for module in MODULES if module.startswith("tfrecords_tools")):
        assert all(target.startswith("tfrecords_tools") for target in GRAPH[name]), name


def test_library_errors_are_value_errors_that_name_no_option():
    import re

    from keras_taskadapt.core.errors import TaskAdaptError
    from tfrecords_tools import TFRecordError

    assert issubclass(TaskAdaptError, ValueError) and issubclass(TFRecordError, ValueError)
    flag = re.compile(r"""raise \w+Error\([^)]*--[a-z]""", re.S)
    offenders = [name for name, path in MODULES.items() if not name.startswith(("keras_taskadapt.tasks",
                                                                                 "keras_taskadapt.cli"))
                 and flag.search(path.read_text())]
    assert offenders == []
