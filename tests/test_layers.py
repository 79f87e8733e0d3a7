"""The shape of the code, held: the import contracts (``.importlinter``: the engine knows no case,
the audit log knows no identity, no circles), and one commit per request, job or command."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "caseflow"

#: where a transaction may be committed: the request boundary, the jobs (a worker's own
#: transactions), the operators' commands (cli.py, commands.py, <feature>/commands.py), and the
#: session object's own method
MAY_COMMIT = {"web.py", "cli.py", "commands.py", "db.py", "jobs/operations.py", "jobs/tasks.py"}


def commits_in(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def test_only_the_request_boundary_jobs_and_commands_commit():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = commits_in(path)
        if lines and rel not in MAY_COMMIT and not rel.endswith("/commands.py"):
            found[rel] = lines
    assert found == {}, f"views and operations never commit (web.after_commit waits for the boundary): {found}"


def test_the_rule_finds_a_commit_in_a_view(tmp_path):
    view = tmp_path / "views.py"
    view.write_text("def save():\n    db.session.commit()\n")
    assert commits_in(view) == [2]


def test_the_import_contracts_hold():
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                          cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_no_session_listener_hides_a_step_of_the_unit_of_work():
    """What the identity and the statistics' facts do on a change is called from the one place that
    appends an event (engine.append_event), not from a Session event hook."""
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in sorted(PACKAGE.rglob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if "listens_for(Session" in line]
    assert found == []


def test_pages_and_the_api_act_through_the_same_operation():
    """No view or API resource calls the engine's fire itself: both call cases.operations.act."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not rel.startswith(("views/", "api/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fire":
                found.append(f"{rel}:{node.lineno}")
    assert found == []


ROLE_NAMES = {"admin", "registrar", "reviewer", "assessor", "partner", "auditor"}
#: where roles are named: the policy module that reads workflows/policy/policy.yaml, the workflow
#: loader, and the roles themselves
MAY_NAME_ROLES = {"policy.py", "workflow/definition.py", "auth/roles.py"}


def role_comparisons(path: Path) -> list[int]:
    def names_a_role(node) -> bool:
        if isinstance(node, ast.Constant) and node.value in ROLE_NAMES:
            return True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Role":
            return True
        return isinstance(node, ast.Tuple | ast.List | ast.Set) and any(names_a_role(e) for e in node.elts)

    return [node.lineno for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Compare) and any(names_a_role(n) for n in [node.left, *node.comparators])]


def test_no_role_is_compared_in_python_outside_the_policy():
    """Who may do and see what is the policy file's and the workflow files' (policy.may, scope)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = role_comparisons(path)
        if lines and rel not in MAY_NAME_ROLES:
            found[rel] = lines
    assert found == {}


def test_the_rule_finds_a_role_compared(tmp_path):
    view = tmp_path / "views.py"
    view.write_text('if user.role == "auditor" or user.role in (Role.admin,):\n    pass\n')
    assert role_comparisons(view) == [1, 1]


def test_no_template_compares_a_role():
    templates = PACKAGE.parent / "templates"
    found = [f"{p.relative_to(templates)}:{n}" for p in sorted(templates.rglob("*.html"))
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if "current_user.role ==" in line or "current_user.role in" in line or "current_user.role !=" in line]
    assert found == []


def test_imports_of_the_package_are_at_the_top_of_each_module():
    """Only the application factory imports inside a function (importing one module never imports
    the whole application); everywhere else an import is an arrow the contracts can see at a glance."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [f"{path.relative_to(PACKAGE)}:{n.lineno}" for n in ast.walk(node)
                          if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("caseflow")]
    assert found == []


def test_no_function_is_longer_than_sixty_lines():
    long = [f"{p.relative_to(PACKAGE)}:{n.name} ({n.end_lineno - n.lineno + 1})"
            for p in sorted(PACKAGE.rglob("*.py")) for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.end_lineno - n.lineno + 1 > 60]
    assert long == []
