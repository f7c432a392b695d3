"""GitHub Pages: commit site/ onto the gh-pages branch with git plumbing and push it, without force.

Nothing here touches the user's working tree, index, HEAD or current branch. The files of site/
become blobs (``git hash-object -w --no-filters``, so no attribute, filter or ignore rule changes a
byte), a throwaway index (``GIT_INDEX_FILE`` in a temporary folder) turns them into a tree
(``update-index --index-info``, ``write-tree``), ``commit-tree`` makes the commit on top of the
remote branch's tip, fetched just before, and ``git push REMOTE COMMIT:refs/heads/BRANCH`` sends it.
A push refused because the branch moved in the meantime is retried on the new tip; history is
only ever replaced with ``force=True``.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from digest.config import BASE_URL_ENV, CONFIG_NAME, Config
from digest.errors import DigestError, display_path
from digest.projectlock import project_lock

PUSH_ATTEMPTS = 3
"""How many times a push refused because the remote branch moved is retried on its new tip."""

_GITHUB_URL = (
    re.compile(r"(?:https?|git|ssh|git\+ssh)://(?:[^@/]+@)?(?:www\.)?github\.com(?::\d+)?/"
               r"(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?", re.IGNORECASE),
    re.compile(r"(?:[^@/:]+@)?github\.com:/?(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?", re.IGNORECASE),
)


class DeployError(DigestError):
    """The site cannot be published: a missing build, repository, remote, or a wrong base_url."""


@dataclass(frozen=True, slots=True)
class DeployResult:
    """What a deploy did (or, on a dry run, would do)."""

    remote: str
    branch: str
    tree: str
    """The tree published: site/ plus .nojekyll and CNAME."""
    files: int
    """Files in that tree."""
    parent: str | None
    """The branch tip the commit goes on; None for a new branch or a --force replacement."""
    commit: str | None = None
    """The commit pushed; None when nothing changed or on a dry run."""
    unchanged: bool = False
    """The branch already holds this exact tree: no commit was made."""
    dry_run: bool = False


def pages_address(remote_url: str) -> str | None:
    """The GitHub Pages address of the repository behind a GitHub remote URL, else None.

    ``https://github.com/alice/news.git`` -> ``https://alice.github.io/news/``;
    ``git@github.com:alice/alice.github.io.git`` -> ``https://alice.github.io/`` (a user site).
    """
    for pattern in _GITHUB_URL:
        match = pattern.fullmatch(remote_url.strip())
        if match:
            owner = match["owner"].lower()
            repo = match["repo"]
            if repo.lower() == f"{owner}.github.io":
                return f"https://{owner}.github.io/"
            return f"https://{owner}.github.io/{repo}/"
    return None


def _same_address(base_url: str, expected: str, any_scheme: bool) -> bool:
    """Whether base_url names the address ``expected`` (host and path; a path-only base_url by its path)."""
    have, want = urlsplit(base_url), urlsplit(expected)
    have_path = have.path if have.path.endswith("/") else have.path + "/"
    if have_path.casefold() != want.path.casefold():
        return False
    if not have.netloc:
        return True
    scheme_ok = have.scheme in ("http", "https") if any_scheme else have.scheme == "https"
    return scheme_ok and (have.hostname or "") == want.hostname


class _Git:
    """Runs git in the project, with no optional locks (``git status`` must not rewrite the index)."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
        self.env.pop("GIT_INDEX_FILE", None)

    def run(
        self, *args: str, data: bytes | None = None, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *args], cwd=self.cwd, input=data, capture_output=True, check=False,
                env={**self.env, **(extra_env or {})},
            )
        except FileNotFoundError:
            raise DeployError("git is not installed (or not on PATH)", hint="install git and try again") from None

    def out(self, *args: str, data: bytes | None = None, extra_env: dict[str, str] | None = None,
            what: str | None = None) -> str:
        """Stdout of a git command that must succeed; its failure becomes one DeployError line."""
        done = self.run(*args, data=data, extra_env=extra_env)
        if done.returncode != 0:
            raise DeployError(f"{what or 'git ' + args[0]} failed: {_last_line(done.stderr)}")
        return done.stdout.decode("utf-8", "replace").strip()


def _shown_url(text: str) -> str:
    """A remote URL (or a line naming one) fit to print: without user names or tokens (``https://TOKEN@...``)."""
    return re.sub(r"\b([a-z][a-z0-9+.-]*://)[^@/\s]+@", r"\1", text, flags=re.IGNORECASE)


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    line = (fatal or lines or ["(no message)"])[-1]
    return _shown_url(line.removeprefix("fatal: ").removeprefix("error: "))


def _push_problem(stderr: bytes) -> str:
    """The line of a failed push that says why: a rejected ref, the remote's error, or git's own."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if "rejected]" in line or line.startswith(("remote: error:", "fatal:", "remote: fatal:")):
            return _shown_url(" ".join(line.split()))
    return _last_line(stderr)


def _now() -> tuple[int, bool]:
    """Seconds since the epoch: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not given:
        return int(time.time()), False
    if not given.isdigit():
        raise DeployError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {given!r}")
    return int(given), True


class Publisher:
    """One deploy of one project: ``prepare()`` checks and fetches, ``publish()`` commits and pushes.

    The command line prepares before it builds, so a setup problem (no repository, no remote, a
    base_url that does not match the Pages address) is reported before a build is spent on it.
    """

    def __init__(
        self,
        config: Config,
        config_file: Path | None = None,
        remote: str | None = None,
        branch: str | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.config = config
        self.config_file = config_file or config.root / CONFIG_NAME
        self.remote = remote or config.deploy_remote
        self.branch = branch or config.deploy_branch
        self.echo = echo
        self.git = _Git(config.root)
        self.remote_url = ""
        self.tip: str | None = None
        self.branch_cname: tuple[str, str, str] | None = None
        """(mode, blob, domain) of the CNAME file on the branch tip, if it has one."""
        self.prepared = False

    @property
    def tracking_ref(self) -> str:
        return f"refs/remotes/{self.remote}/{self.branch}"

    def prepare(self) -> None:
        """Check the repository, the remote and base_url; fetch the branch. Raises DeployError."""
        if self.git.run("rev-parse", "--show-toplevel").returncode != 0:
            folder = display_path(self.config.root)
            raise DeployError(
                f"{'this folder' if folder in ('', '.') else folder} is not a git repository, "
                "so there is nothing to push to",
                hint="run: git init && git remote add origin https://github.com/USER/REPO.git",
            )
        if self.remote.startswith("-") or not self.remote:
            raise DeployError(f"not a git remote name: {self.remote!r}", hint="for example origin")
        if self.git.run("check-ref-format", "--branch", self.branch).returncode != 0 or self.branch.startswith("-"):
            raise DeployError(f"not a valid git branch name: {self.branch!r}", hint="for example gh-pages")
        remotes = self.git.out("remote").split()
        if self.remote not in remotes:
            hint = (f"this repository has {', '.join(remotes)}: pass --remote NAME or set deploy.remote in "
                    f"{CONFIG_NAME}" if remotes else
                    f"add it: git remote add {self.remote} https://github.com/USER/REPO.git")
            raise DeployError(f"the git remote '{self.remote}' does not exist", hint=hint)
        # The URL as the user wrote it (not rewritten by url.*.insteadOf): it names the GitHub repository.
        configured = self.git.run("config", "--get", f"remote.{self.remote}.url")
        self.remote_url = configured.stdout.decode("utf-8", "replace").strip() or self.git.out(
            "remote", "get-url", self.remote)
        self.fetch()
        self.check_not_source_branch()
        self.check_base_url()
        self.prepared = True

    def check_not_source_branch(self) -> None:
        """Refuse a branch that holds the project rather than a site: the one checked out, or a remote
        branch whose tip holds it (its build.py or config file, or a commit of HEAD's history). The
        site would go on top of the source, the next pull would empty a working tree, and --force
        would replace the branch's history. Local branches are never touched: deploy pushes only
        to the remote's branch. Raises DeployError."""
        current = self.git.run("symbolic-ref", "--quiet", "--short", "HEAD").stdout.decode("utf-8", "replace").strip()
        if self.branch == current:
            raise DeployError(f"'{self.branch}' is the branch checked out here: deploying would put the built site "
                              "over your source", hint=self._branch_hint())
        if self.tip is not None and self._holds_project(self.tip):
            raise DeployError(
                f"{self.remote}/{self.branch} holds this project's source: deploying would put the built site over "
                "it, and --force would replace its history",
                hint=f"{self._branch_hint()}; if {self.remote}/{self.branch} is only for the site (made from your "
                     f"source by mistake), delete it first: git push {self.remote} --delete {self.branch}")

    def _holds_project(self, commit: str) -> bool:
        """Whether ``commit`` is of the project's history or its tree has the project's own files."""
        head = self.git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}").stdout.decode().strip()
        if head and self.git.run("merge-base", "--is-ancestor", commit, head).returncode == 0:
            return True
        prefix = self.git.out("rev-parse", "--show-prefix")  # the project's folder in the repository
        try:
            config_name = self.config_file.resolve().relative_to(self.config.root.resolve()).as_posix()
        except ValueError:
            config_name = CONFIG_NAME
        own = [prefix + "build.py", prefix + config_name]
        return bool(self.git.out("ls-tree", "--full-tree", "--name-only", commit, "--", *own))

    def _branch_hint(self) -> str:
        return f"publish to a branch of its own: --branch gh-pages (the default), or deploy.branch in {CONFIG_NAME}"

    def fetch(self) -> None:
        """Learn the remote branch's tip (None: no such branch yet) and fetch it with its history."""
        ref = f"refs/heads/{self.branch}"
        listed = self.git.run("ls-remote", "--heads", self.remote, ref)
        if listed.returncode != 0:
            raise DeployError(f"cannot reach the remote '{self.remote}' ({_shown_url(self.remote_url)}): "
                              f"{_last_line(listed.stderr)}", hint="check the URL, your network and access")
        tips = [line.split("\t") for line in listed.stdout.decode().splitlines()]
        if not any(len(parts) == 2 and parts[1] == ref for parts in tips):
            self.tip = None
            self.branch_cname = None
            return
        self.git.out("fetch", "--quiet", "--no-tags", self.remote, f"+{ref}:{self.tracking_ref}",
                     what=f"git fetch {self.remote} {self.branch}")
        self.tip = self.git.out("rev-parse", "--verify", f"{self.tracking_ref}^{{commit}}")
        self.branch_cname = None
        listing = self.git.out("ls-tree", "-z", self.tip, "--", "CNAME").strip("\0")
        if listing:
            info, _ = listing.split("\t", 1)
            mode, kind, blob = info.split()
            if kind == "blob":
                text = self.git.out("cat-file", "blob", blob)
                domain = text.splitlines()[0].strip() if text else ""
                self.branch_cname = (mode, blob, domain)

    def custom_domain(self) -> tuple[str, str] | None:
        """(domain, where it comes from) of the published site: deploy.cname, else site/CNAME, else the branch's."""
        if self.config.deploy_cname:
            return self.config.deploy_cname, "deploy.cname"
        own = self.config.output_dir / "CNAME"
        if own.is_file() and not own.is_symlink():
            lines = own.read_text("utf-8", "replace").splitlines()
            return (lines[0].strip(), f"{display_path(own)}") if lines and lines[0].strip() else None
        if self.branch_cname and self.branch_cname[2]:
            return self.branch_cname[2], f"the CNAME file on {self.remote}/{self.branch}"
        return None

    def check_base_url(self) -> None:
        """Refuse a base_url that is not where GitHub Pages will serve the site."""
        base_url = self.config.base_url
        where = f"site.base_url in {display_path(self.config_file)}"
        if os.environ.get(BASE_URL_ENV, "").strip():
            where = f"{BASE_URL_ENV} (which replaces site.base_url)"
        domain = self.custom_domain()
        if domain:
            cname, origin = domain
            expected = f"https://{cname}/"
            if not _same_address(base_url, expected, any_scheme=True):
                raise DeployError(
                    f"{where} is {base_url!r}, but {origin} publishes the site at {expected}",
                    hint=f"set base_url: {expected} under site:, or change the custom domain",
                )
            return
        expected_pages = pages_address(self.remote_url)
        if expected_pages is not None and not _same_address(base_url, expected_pages, any_scheme=False):
            raise DeployError(
                f"{where} is {base_url!r}, but GitHub Pages serves the remote '{self.remote}' "
                f"({_shown_url(self.remote_url)}) at {expected_pages}",
                hint=f"set base_url: {expected_pages} under site:, or set deploy.cname to your custom domain",
            )

    def _site_files(self) -> list[tuple[str, Path]]:
        site = self.config.output_dir
        shown = display_path(site)
        if not site.is_dir():
            raise DeployError(f"{shown}/ does not exist: nothing to publish",
                              hint="build it first: python build.py, or run deploy without --no-build")
        files: list[tuple[str, Path]] = []
        for folder, dirs, names in os.walk(site):
            dirs.sort()
            for name in sorted(names) + [d for d in dirs if Path(folder, d).is_symlink()]:
                path = Path(folder, name)
                relative = path.relative_to(site).as_posix()
                if path.is_symlink():
                    raise DeployError(f"{shown}/{relative} is a symbolic link; refusing to publish it",
                                      hint="a build never makes links: delete it and build again")
                if "\n" in relative or "\r" in relative:
                    raise DeployError(f"{shown}/{relative!r}: a file name with a line break cannot be published")
                files.append((relative, path))
        if not files:
            raise DeployError(f"{shown}/ is empty: nothing to publish",
                              hint="build it first: python build.py, or run deploy without --no-build")
        return files

    def _tree(self) -> tuple[str, int]:
        """Write site/ (plus .nojekyll and CNAME) as a tree through a throwaway index; (tree id, file count)."""
        # site/ is read whole, not while another build of the project swaps in its new one; the
        # lock is not held through the push, whose hooks may build the project themselves.
        with project_lock(self.config.root):
            files = self._site_files()
            paths = "\n".join(os.fsdecode(path) for _, path in files) + "\n"
            blobs = self.git.out("hash-object", "-w", "--no-filters", "--stdin-paths",
                                 data=os.fsencode(paths), what="git hash-object").split()
        entries = {name: ("100644", blob) for (name, _), blob in zip(files, blobs, strict=True)}
        if ".nojekyll" not in entries:  # Pages would run Jekyll, which drops files starting with '_'
            entries[".nojekyll"] = ("100644", self.git.out("hash-object", "-w", "--stdin", data=b""))
        if self.config.deploy_cname:
            cname_blob = self.git.out("hash-object", "-w", "--stdin", data=f"{self.config.deploy_cname}\n".encode())
            entries["CNAME"] = ("100644", cname_blob)
        elif "CNAME" not in entries and self.branch_cname is not None:
            entries["CNAME"] = self.branch_cname[:2]
        index_info = b"".join(f"{mode} {blob}\t".encode() + os.fsencode(name) + b"\0"
                              for name, (mode, blob) in sorted(entries.items()))
        with tempfile.TemporaryDirectory(prefix="digest-deploy-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch, "index"))}
            self.git.out("update-index", "-z", "--index-info", data=index_info, extra_env=index,
                         what="git update-index")
            tree = self.git.out("write-tree", extra_env=index)
        return tree, len(entries)

    def _message(self, message: str | None, files: int, epoch: int) -> str:
        head = self.git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        source = head.stdout.decode().strip() if head.returncode == 0 else "uncommitted"
        if head.returncode == 0 and self.git.out("status", "--porcelain", "--untracked-files=no"):
            source += " (with uncommitted changes)"
        when = datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        subject = message.strip() if message and message.strip() else f"Publish site from {source[:12]} at {when}"
        return f"{subject}\n\nsource commit: {source}\nbuilt at: {when}\nfiles: {files}\n"

    def publish(
        self, message: str | None = None, force: bool = False, dry_run: bool = False
    ) -> DeployResult:
        """Commit site/ on top of the fetched branch tip and push it. Raises DeployError."""
        if not self.prepared:
            self.prepare()
        epoch, fixed = _now()
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            tree, files = self._tree()
            parent = None if force else self.tip
            tip_tree = self.git.out("rev-parse", f"{self.tip}^{{tree}}") if self.tip else None
            if tip_tree == tree and (not force or self.git.out("rev-list", "--count", str(self.tip)) == "1"):
                self.echo(f"nothing changed since the last deploy: {self.remote}/{self.branch} is at "
                          f"{str(self.tip)[:12]} with the same {files} file(s); no commit made, nothing pushed")
                return DeployResult(self.remote, self.branch, tree, files, self.tip, unchanged=True)
            if dry_run:
                self._describe(tree, files, parent, force, self._message(message, files, epoch))
                return DeployResult(self.remote, self.branch, tree, files, parent, dry_run=True)
            env = {"GIT_AUTHOR_DATE": f"@{epoch} +0000", "GIT_COMMITTER_DATE": f"@{epoch} +0000"} if fixed else {}
            parents: Sequence[str] = ("-p", parent) if parent else ()
            done = self.git.run("commit-tree", tree, *parents, "-F", "-",
                                data=self._message(message, files, epoch).encode(), extra_env=env)
            if done.returncode != 0:
                if b"tell me who you are" in done.stderr or b"empty ident" in done.stderr:
                    raise DeployError("git needs your name and email to make the commit",
                                      hint='git config user.name "Your Name"; git config user.email you@example.org')
                raise DeployError(f"git commit-tree failed: {_last_line(done.stderr)}")
            commit = done.stdout.decode().strip()
            push = self.git.run("push", *(["--force"] if force else []), self.remote,
                                f"{commit}:refs/heads/{self.branch}")
            if push.returncode == 0:
                had_tip = self.tip
                self.git.out("update-ref", "-m", "digest deploy", self.tracking_ref, commit)
                self.tip = commit
                if parent:
                    where = f" on top of {parent[:12]}"
                else:
                    where = ", replacing its history" if force and had_tip else " (a new branch)"
                self.echo(f"pushed {files} file(s) to {self.remote}/{self.branch}: commit {commit[:12]}{where}")
                self._say_where()
                return DeployResult(self.remote, self.branch, tree, files, parent, commit=commit)
            # Refused: if the branch moved since it was fetched (someone pushed in between), commit on its new tip.
            fetched = self.tip
            if not force:
                self.fetch()
            if force or self.tip == fetched or attempt == PUSH_ATTEMPTS:
                raise DeployError(f"git push to '{self.remote}' failed: {_push_problem(push.stderr)}",
                                  hint=None if force else f"{self.remote}/{self.branch} was left as it was")
            self.echo(f"{self.remote}/{self.branch} moved since it was fetched; committing on its new tip")
        raise AssertionError("unreachable")  # pragma: no cover

    def _describe(self, tree: str, files: int, parent: str | None, force: bool, message: str) -> None:
        if parent:
            onto = f"parent {parent}"
        elif force and self.tip:
            count = self.git.out("rev-list", "--count", self.tip)
            onto = f"no parent: --force replaces the branch's {count} commit(s)"
        else:
            onto = "no parent: a new branch"
        self.echo(f"dry run: would push {files} file(s) to {self.remote}/{self.branch}: tree {tree}, {onto}")
        self.echo(f"  message: {message.splitlines()[0]}")
        self.echo("nothing was committed or pushed")

    def _say_where(self) -> None:
        domain = self.custom_domain()
        address = f"https://{domain[0]}/" if domain else pages_address(self.remote_url)
        if address:
            self.echo(f"GitHub Pages serves it at {address} (Settings > Pages: deploy from branch {self.branch})")


def deploy(
    config: Config,
    *,
    config_file: Path | None = None,
    remote: str | None = None,
    branch: str | None = None,
    message: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> DeployResult:
    """Publish the already built site/ of ``config`` to its GitHub Pages branch."""
    publisher = Publisher(config, config_file, remote=remote, branch=branch, echo=echo)
    publisher.prepare()
    return publisher.publish(message=message, force=force, dry_run=dry_run)
