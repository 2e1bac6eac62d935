"""The house rules that keep the code walkable (issue 15): no app module above 800 lines and no function above
80 lines, migrations aside. A module that grows past them is split by concern (see docs/architecture.md), a
function into named steps."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "fupin"
MODULE_LINES = 800
FUNCTION_LINES = 80


def app_modules(root: Path):
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.relative_to(root).parts)


def long_modules(root: Path = APP) -> list[str]:
    found = []
    for path in app_modules(root):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MODULE_LINES:
            found.append(f"{path.relative_to(root.parent)}: {lines} lines")
    return found


def long_functions(root: Path = APP) -> list[str]:
    """Functions and methods (nested ones too) longer than FUNCTION_LINES, from `def` to their last line."""
    found = []
    for path in app_modules(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_app_module_is_above_800_lines():
    assert long_modules() == []


def test_no_function_is_above_80_lines():
    assert long_functions() == []


def test_the_checks_see_a_long_module_and_a_long_function(tmp_path):
    package = tmp_path / "fupin" / "app"
    package.mkdir(parents=True)
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_LINES))
    (package / "big.py").write_text("def long():\n" + body + "\n" * (MODULE_LINES - FUNCTION_LINES))
    (package / "migrations").mkdir()
    (package / "migrations" / "0001_initial.py").write_text("def long():\n" + body * 20)
    last = f"    x{FUNCTION_LINES - 1} = {FUNCTION_LINES - 1}\n"
    (package / "small.py").write_text("def short():\n" + body[: -len(last)])  # 80 lines: allowed
    root = tmp_path / "fupin"
    assert long_modules(root) == [f"fupin/app/big.py: {MODULE_LINES + 1} lines"]  # exactly 800 would pass
    assert long_functions(root) == [f"fupin/app/big.py:1 long: {FUNCTION_LINES + 1} lines"]
