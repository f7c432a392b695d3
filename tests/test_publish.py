"""`python build.py deploy` against real git: bare repositories made here, no mocks.

Every test has its own bare "GitHub" repository (``git init --bare``) and a project that is a git
repository with that remote. Git reads no system or user configuration (HOME is a fresh folder).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

from digest.config import load_config, parse_config
from digest.errors import BuildErrors
from digest.publish import pages_address
from tests.conftest import REPO, Run, make_project, run_cli, tree_bytes
from tests.sitecheck import _Links, crawl, serve

HEX = re.compile(r"\b[0-9a-f]{40}\b")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git as on a fresh machine: no system or user config, no prompts, no repository above tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL", "GIT_AUTHOR_DATE",
                 "GIT_COMMITTER_DATE", "SOURCE_DATE_EPOCH", "DIGEST_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, built once for the module (deploys below use --no-build on copies)."""
    project = make_project(tmp_path_factory.mktemp("built") / "project")
    result = run_cli(project, "build")
    assert result.code == 0, result.err
    return project


def git_project(project: Path, tmp_path: Path, remote: str = "news") -> Path:
    """Make ``project`` a git repository (one commit on main) whose origin is a new bare repository."""
    bare = tmp_path / f"{remote}.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Test Writer")
    git(project, "config", "user.email", "writer@example.org")
    (project / ".gitignore").write_text("/site/\n/.cache/\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "The content")
    git(project, "remote", "add", "origin", str(bare))
    return bare


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(project, bare remote): a copy of the built project, committed, with an empty origin."""
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    return project, git_project(project, tmp_path)


def deploy(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    result = run_cli(project, "deploy", "--no-build", *args, env=env)
    assert "Traceback" not in result.err
    return result


def deployed(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    result = deploy(project, *args, env=env)
    assert result.code == 0, result.err
    return result


def touch_site(project: Path, mark: str) -> None:
    page = project / "site" / "index.html"
    page.write_bytes(page.read_bytes() + f"<!-- {mark} -->\n".encode())


def history(bare: Path, ref: str = "gh-pages") -> list[list[str]]:
    """Each commit of ``ref``, newest first, as [commit, parents...]."""
    return [line.split() for line in git(bare, "rev-list", "--parents", ref).splitlines()]


def branch_files(repository: Path, ref: str = "gh-pages") -> dict[str, bytes]:
    listing = subprocess.run(["git", "ls-tree", "-r", "-z", ref], cwd=repository, capture_output=True,
                             check=True).stdout
    files: dict[str, bytes] = {}
    for entry in filter(None, listing.split(b"\0")):
        info, name = entry.split(b"\t", 1)
        mode, kind, blob = info.decode().split()
        assert (mode, kind) == ("100644", "blob"), entry
        files[name.decode()] = subprocess.run(["git", "cat-file", "blob", blob], cwd=repository,
                                              capture_output=True, check=True).stdout
    return files


def push_from_another_clone(bare: Path, tmp_path: Path, name: str, text: str, folder: str = "other") -> str:
    """Another person's clone commits ``name`` on gh-pages and pushes it; returns that commit."""
    other = tmp_path / folder
    if not other.exists():
        git(tmp_path, "clone", "-q", "-b", "gh-pages", str(bare), str(other))
        git(other, "config", "user.name", "Someone Else")
        git(other, "config", "user.email", "else@example.org")
    git(other, "pull", "-q", "--ff-only")
    (other / name).write_text(text)
    git(other, "add", name)
    git(other, "commit", "-q", "-m", f"Add {name} by hand")
    git(other, "push", "-q", "origin", "gh-pages")
    return git(other, "rev-parse", "HEAD")


def refused(result: Run, *fragments: str) -> str:
    """The run failed with exactly one `error:` line (no traceback) containing every fragment."""
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# History ------------------------------------------------------------------------------------------


def test_three_deploys_give_three_commits_each_the_parent_of_the_next(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    source = git(project, "rev-parse", "HEAD")
    first = deployed(project, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert "(a new branch)" in first.out
    for mark in ("second", "third"):
        touch_site(project, mark)
        assert "pushed" in deployed(project).out
    (c3, p3), (c2, p2), (c1,) = history(bare)
    assert (p3, p2) == (c2, c1)
    message = git(bare, "log", "-1", "--format=%B", c1)
    assert source[:12] in message.splitlines()[0] and f"source commit: {source}" in message
    assert "2023-11-14T22:13:20Z" in message
    assert git(bare, "log", "-1", "--format=%at %ct", c1) == "1700000000 1700000000"
    assert git(project, "rev-parse", "refs/remotes/origin/gh-pages") == c3


def test_a_project_without_commits_is_named_uncommitted(built: Path, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    shutil.copytree(built, project, symlinks=True)
    bare = tmp_path / "fresh.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Test Writer")
    git(project, "config", "user.email", "writer@example.org")
    git(project, "remote", "add", "origin", str(bare))
    deployed(project, "--message", "First edition")
    message = git(bare, "log", "-1", "--format=%B", "gh-pages")
    assert message.splitlines()[0] == "First edition"
    assert "source commit: uncommitted" in message


def test_a_commit_pushed_from_another_clone_is_kept(repo: tuple[Path, Path], tmp_path: Path) -> None:
    project, bare = repo
    deployed(project)
    theirs = push_from_another_clone(bare, tmp_path, "note.txt", "pushed from elsewhere\n")
    touch_site(project, "after theirs")
    result = deployed(project)
    assert f"on top of {theirs[:12]}" in result.out
    (_, parent), *_ = history(bare)
    assert parent == theirs
    assert len(history(bare)) == 3


def test_a_branch_that_moves_during_the_deploy_is_committed_on_its_new_tip(
    repo: tuple[Path, Path], tmp_path: Path
) -> None:
    project, bare = repo
    deployed(project)
    push_from_another_clone(bare, tmp_path, "warm-up.txt", "1\n")  # the clone exists before the hook runs
    mark = tmp_path / "hook-ran"
    hook = project / ".git" / "hooks" / "pre-push"
    # Between deploy's fetch and its push, someone else pushes: the first push must be refused.
    hook.write_text(
        "#!/bin/sh\n"
        f"[ -e '{mark}' ] && exit 0\n"
        f"touch '{mark}'\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{tmp_path / 'other'}' && echo raced > raced.txt && git add raced.txt && "
        "git commit -q -m 'Pushed during the deploy' && git push -q origin gh-pages\n"
    )
    hook.chmod(0o755)
    touch_site(project, "racing")
    result = deployed(project)
    assert "moved since it was fetched; committing on its new tip" in result.out
    raced = git(tmp_path / "other", "rev-parse", "HEAD")
    (_, parent), *_ = history(bare)
    assert parent == raced
    assert "raced.txt" not in branch_files(bare)  # the site is what site/ holds; the commit is in history


def test_a_push_the_remote_declines_is_one_error_line(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    refused(deploy(project), "git push to 'origin' failed", "[remote rejected]", "pre-receive hook declined",
            "origin/gh-pages was left as it was")
    assert git(bare, "for-each-ref") == ""


def test_force_replaces_the_history_only_when_asked(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    deployed(project)
    touch_site(project, "two")
    deployed(project)
    touch_site(project, "three")
    dry = deployed(project, "--force", "--dry-run")
    assert "--force replaces the branch's 2 commit(s)" in dry.out
    assert len(history(bare)) == 2
    result = deployed(project, "--force")
    assert "replacing its history" in result.out
    assert len(history(bare)) == 1 and len(history(bare)[0]) == 1


# What is published ------------------------------------------------------------------------------


def test_the_pushed_tree_is_site_plus_nojekyll(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    (project / "site" / ".nojekyll").unlink()  # deploy adds it even when site/ lacks it
    result = deployed(project)
    assert result.out.startswith("pushed ")
    expected = tree_bytes(project / "site") | {".nojekyll": b""}
    assert branch_files(bare) == expected
    assert "CNAME" not in expected


def test_a_cname_committed_on_the_branch_survives(repo: tuple[Path, Path], tmp_path: Path) -> None:
    project, bare = repo
    deployed(project)
    push_from_another_clone(bare, tmp_path, "CNAME", "news.example.org\n")
    touch_site(project, "with a domain")
    # The branch now serves news.example.org: a base_url elsewhere would break the 404 page and canonicals.
    refused(deploy(project), "publishes the site at https://news.example.org/", "CNAME file on origin/gh-pages")
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://news.example.org/"))
    deployed(project)
    assert branch_files(bare)["CNAME"] == b"news.example.org\n"
    touch_site(project, "again")
    deployed(project)
    assert branch_files(bare)["CNAME"] == b"news.example.org\n"


def test_a_cname_in_the_config_is_written(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    config = project / "config.yaml"
    text = config.read_text().replace("https://example.org/", "https://www.example.org/")
    config.write_text(text + "\ndeploy:\n  cname: www.example.org\n")
    result = deployed(project)
    assert "GitHub Pages serves it at https://www.example.org/" in result.out
    assert branch_files(bare)["CNAME"] == b"www.example.org\n"


def test_nothing_changed_adds_no_commit(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    deployed(project)
    tip = git(bare, "rev-parse", "gh-pages")
    result = deployed(project)
    assert "nothing changed since the last deploy" in result.out
    assert "no commit made" in result.out
    assert git(bare, "rev-parse", "gh-pages") == tip
    assert len(history(bare)) == 1


def test_a_dry_run_shows_what_would_be_pushed_and_pushes_nothing(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    first = deployed(project, "--dry-run")
    files = len([path for path in (project / "site").rglob("*") if path.is_file()])
    assert f"dry run: would push {files} file(s) to origin/gh-pages: tree " in first.out
    assert "no parent: a new branch" in first.out
    assert git(bare, "for-each-ref") == ""
    tree = HEX.findall(first.out)[0]
    deployed(project)
    assert git(bare, "rev-parse", "gh-pages^{tree}") == tree
    tip = git(bare, "rev-parse", "gh-pages")
    touch_site(project, "dry")
    second = deployed(project, "--dry-run")
    assert f"parent {tip}" in second.out and "nothing was committed or pushed" in second.out
    assert git(bare, "rev-parse", "gh-pages") == tip


def test_the_users_checkout_is_byte_identical(repo: tuple[Path, Path]) -> None:
    project, _ = repo
    # A checkout mid-work: another branch, a staged and an unstaged change, an untracked file, and a
    # local gh-pages branch of its own, none of which deploy may touch.
    git(project, "branch", "gh-pages")
    git(project, "switch", "-q", "-c", "work")
    (project / "content" / "pages" / "about.md").write_text("---\ntitle: About\n---\nStaged.\n")
    git(project, "add", "content/pages/about.md")
    (project / "config.yaml").write_text((project / "config.yaml").read_text() + "# unstaged\n")
    (project / "notes.txt").write_text("untracked\n")

    def snapshot() -> dict[str, object]:
        dot_git = project / ".git"
        return {
            "files": {name: data for name, data in tree_bytes(project).items() if not name.startswith(".git/")},
            "index": (dot_git / "index").read_bytes(),
            "HEAD": (dot_git / "HEAD").read_bytes(),
            "branches": git(project, "for-each-ref", "refs/heads"),
            "status": git(project, "--no-optional-locks", "status", "--porcelain"),
        }

    before = snapshot()
    deployed(project, "--dry-run")
    assert deployed(project).out.startswith("pushed ")
    assert snapshot() == before
    assert "(with uncommitted changes)" in git(project, "log", "-1", "--format=%B", "origin/gh-pages")
    touch_site(project, "changed")
    before = snapshot()
    assert deployed(project).out.startswith("pushed ")
    assert "nothing changed" in deployed(project).out
    assert snapshot() == before


def test_the_published_site_served_under_the_repo_path_has_no_broken_links(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://example.org/news/"))
    bare = git_project(project, tmp_path, remote="news")
    result = run_cli(project, "deploy")  # with the build, as a user runs it
    assert result.code == 0, result.err
    assert re.search(r"^built \d+ pages", result.out, re.MULTILINE)
    www = tmp_path / "www"
    www.mkdir()
    git(tmp_path, "clone", "-q", "-b", "gh-pages", str(bare), str(www / "news"))
    shutil.rmtree(www / "news" / ".git")
    with serve(www) as server:
        seen, broken = crawl(f"{server}/news/")
        assert broken == []
        assert len(seen) >= 6
        # GitHub Pages serves 404.html at the visitor's URL: its links must work from any depth.
        missing = f"{server}/news/no/such/page/"
        links = _Links()
        links.feed((www / "news" / "404.html").read_text("utf-8"))
        assert links.links
        local = [urljoin(missing, link) for link in links.links if not link.startswith("#")]
        local = [url for url in local if url.startswith(server)]  # not the canonical https://example.org/...
        assert len(local) >= 4
        for url in local:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url


# Refusals ---------------------------------------------------------------------------------------


def test_an_empty_or_missing_site_is_refused(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    shutil.rmtree(project / "site")
    refused(deploy(project), "site/ does not exist: nothing to publish", "python build.py")
    (project / "site").mkdir()
    refused(deploy(project), "site/ is empty: nothing to publish")
    assert git(bare, "for-each-ref") == ""


def test_a_folder_that_is_not_a_git_repository_is_refused(built: Path, tmp_path: Path) -> None:
    project = tmp_path / "plain"
    shutil.copytree(built, project, symlinks=True)
    refused(deploy(project), "is not a git repository", "git init", "git remote add origin")


def test_a_missing_remote_is_refused(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    refused(deploy(project, "--remote", "upstream"), "the git remote 'upstream' does not exist",
            "this repository has origin")
    git(project, "remote", "remove", "origin")
    refused(deploy(project), "the git remote 'origin' does not exist", "git remote add origin")
    assert git(bare, "for-each-ref") == ""


def test_a_branch_holding_the_project_is_never_deployed_onto(repo: tuple[Path, Path]) -> None:
    """The branch checked out, or a remote branch whose tip holds the project (its config.yaml, or a
    commit of HEAD's history) is refused, --force too, from any branch or a detached HEAD with no
    local branch at all: the site would go over the source and the next pull empty a working tree.
    A gh-pages made from main says how to clear it."""
    project, bare = repo
    refused(deploy(project, "--branch", "main"), "'main' is the branch checked out here", "--branch gh-pages")
    assert git(bare, "for-each-ref") == ""
    git(project, "branch", "drafts")
    (project / "content" / "pages" / "more.md").write_text("---\ntitle: More\n---\n\nMore.\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Two")
    git(project, "push", "-q", "origin", "main")
    source = git(bare, "rev-parse", "main")
    git(project, "switch", "-q", "--detach", "drafts")  # behind main, as a CI checkout of an old commit
    git(project, "branch", "-q", "-D", "main", "drafts")
    for force in ((), ("--force",)):
        refused(deploy(project, "--branch", "main", *force), "origin/main holds this project's source",
                "--force would replace its history")
    assert git(bare, "rev-parse", "main") == source
    git(project, "push", "-q", "origin", f"{source}:refs/heads/gh-pages")  # made from main by mistake
    refused(deploy(project), "origin/gh-pages holds this project's source", "git push origin --delete gh-pages")
    git(project, "push", "-q", "origin", "--delete", "gh-pages")
    assert "(a new branch)" in deployed(project).out
    assert git(bare, "rev-parse", "main") == source
    assert "config.yaml" not in branch_files(bare) and "index.html" in branch_files(bare)


def test_a_local_gh_pages_holding_only_a_site_is_deployed_onto(repo: tuple[Path, Path]) -> None:
    """MkDocs' ghp-import leaves a local gh-pages holding a site: that is no branch of the project."""
    project, bare = repo
    tree = git(project, "hash-object", "-w", "-t", "tree", "/dev/null")  # an empty tree stands for the old site
    commit = git(project, "commit-tree", tree, "-m", "Old site")
    git(project, "branch", "gh-pages", commit)
    git(project, "push", "-q", "origin", "gh-pages")
    assert "pushed" in deployed(project).out
    assert history(bare)[0][1:] == [commit]


def test_a_bad_branch_name_is_refused(repo: tuple[Path, Path]) -> None:
    project, _ = repo
    refused(deploy(project, "--branch", "pages..site"), "not a valid git branch name: 'pages..site'")


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://github.com/Alice/news.git", "https://alice.github.io/news/"),
        ("https://github.com/alice/news", "https://alice.github.io/news/"),
        ("https://token@github.com/alice/news.git/", "https://alice.github.io/news/"),
        ("git@github.com:alice/news.git", "https://alice.github.io/news/"),
        ("ssh://git@github.com/alice/news.git", "https://alice.github.io/news/"),
        ("ssh://git@github.com:22/alice/news", "https://alice.github.io/news/"),
        ("git@github.com:Alice/alice.github.io.git", "https://alice.github.io/"),
        ("https://gitlab.com/alice/news.git", None),
        ("/srv/git/news.git", None),
        ("../news.git", None),
    ],
)
def test_the_pages_address_is_inferred_from_a_github_remote(url: str, address: str | None) -> None:
    assert pages_address(url) == address


def test_a_base_url_that_is_not_the_pages_address_is_refused(repo: tuple[Path, Path], tmp_path: Path) -> None:
    project, bare = repo
    # A GitHub remote, rewritten by git itself to the local bare repository (no network).
    git(project, "config", f"url.{bare}.insteadOf", "https://github.com/Alice/news.git")
    git(project, "remote", "set-url", "origin", "https://github.com/Alice/news.git")
    line = refused(deploy(project), "GitHub Pages serves the remote 'origin'", "at https://alice.github.io/news/",
                   "set base_url: https://alice.github.io/news/ under site:")
    assert "'https://example.org/'" in line
    assert git(bare, "for-each-ref") == ""
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://alice.github.io/news/"))
    result = deployed(project)
    assert "GitHub Pages serves it at https://alice.github.io/news/" in result.out
    # DIGEST_BASE_URL replaces the config's base_url, and is checked the same way.
    refused(deploy(project, env={"DIGEST_BASE_URL": "https://alice.github.io/other"}),
            "DIGEST_BASE_URL (which replaces site.base_url) is 'https://alice.github.io/other/'")


def test_a_user_site_repository_is_served_at_the_root(repo: tuple[Path, Path]) -> None:
    project, bare = repo
    url = "https://x-access-token:SECRET@github.com/alice/alice.github.io.git"  # as CI writes it
    git(project, "config", f"url.{bare}.insteadOf", url)
    git(project, "remote", "set-url", "origin", url)
    line = refused(deploy(project), "at https://alice.github.io/ ", "(https://github.com/alice/alice.github.io.git)")
    assert "SECRET" not in line
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://alice.github.io/"))
    deployed(project)


# Configuration ----------------------------------------------------------------------------------


def test_the_deploy_section_has_defaults_and_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    config = parse_config("", path)
    assert (config.deploy_branch, config.deploy_remote, config.deploy_cname) == ("gh-pages", "origin", None)
    config = parse_config("deploy:\n  branch: pages\n  remote: github\n  cname: News.Example.org\n", path)
    assert (config.deploy_branch, config.deploy_remote, config.deploy_cname) == ("pages", "github",
                                                                                 "news.example.org")
    with pytest.raises(BuildErrors) as caught:
        parse_config("deploy:\n  branch: 'a..b'\n  remote: '-x'\n  cname: https://example.org/\n  brnch: x\n",
                     path)
    text = str(caught.value)
    assert "config.yaml:2: 'deploy.branch': not a valid git branch name: 'a..b'" in text
    assert "config.yaml:3: 'deploy.remote': not a git remote name: '-x'" in text
    assert "config.yaml:4: 'deploy.cname': must be a domain name" in text
    assert "config.yaml:5: 'deploy.brnch': unknown key (did you mean 'branch'?)" in text
    with pytest.raises(BuildErrors, match=re.escape("'deploy.branch': must be text")):
        parse_config("deploy:\n  branch: 3\n", path)


def test_digest_base_url_replaces_the_configured_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    monkeypatch.setenv("DIGEST_BASE_URL", "https://alice.github.io/news")  # as configure-pages gives it
    config = parse_config("site:\n  base_url: https://example.org/\n", path)
    assert (config.base_url, config.base_path) == ("https://alice.github.io/news/", "/news/")
    assert load_config(tmp_path / "config.yaml").base_url == "https://alice.github.io/news/"  # no file: defaults
    monkeypatch.setenv("DIGEST_BASE_URL", "ftp://example.org/")
    with pytest.raises(BuildErrors, match=re.escape("DIGEST_BASE_URL (replaces 'site.base_url'): must be an http")):
        parse_config("", path)


# The Actions route ------------------------------------------------------------------------------


def test_the_pages_workflow_passes_actionlint_and_publishes_site() -> None:
    workflow = REPO / ".github" / "workflows" / "pages.yml"
    actionlint = Path(sys.executable).parent / "actionlint"
    found = str(actionlint) if actionlint.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: make test installs it from requirements-dev.txt"
    lint = subprocess.run([found, "-color=false", str(workflow)], cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    data = yaml.safe_load(workflow.read_text())
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert data["concurrency"]["group"]
    build, publish = data["jobs"]["build"], data["jobs"]["deploy"]
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "site"
    pages = uses["actions/configure-pages"]
    make = next(step for step in build["steps"] if step.get("run") == "make site")
    assert make["env"]["DIGEST_BASE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in publish["steps"]] == ["actions/deploy-pages"]


def test_a_pre_push_hook_that_builds_the_project_is_not_kept_waiting(repo: tuple[Path, Path]) -> None:
    # A deploy holds the project's lock while it builds and reads site/, not through the push: a
    # pre-push hook that builds (a usual check) would otherwise wait for the deploy, which waits for it.
    project, bare = repo
    hook = project / ".git" / "hooks" / "pre-push"
    hook.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{REPO / 'build.py'}' build > hook-build.txt 2>&1\n",
                    encoding="utf-8")
    hook.chmod(0o755)
    result = run_cli(project, "deploy", timeout=90)
    assert result.code == 0, result.err
    assert "pushed" in result.out
    said = (project / "hook-build.txt").read_text(encoding="utf-8")
    assert "nothing changed" in said or "built" in said, said
    assert history(bare)
