"""The calls a PyGithub script makes, against Latchkey: python3 pygithub_flow.py BASE_URL TOKEN.

Prints one line per step ("step: result") so that the test shows what a user would have seen."""
import sys

from github import Github, GithubException

base, token = sys.argv[1], sys.argv[2]
g = Github(login_or_token=token, base_url=base.rstrip("/") + "/api/v3")

me = g.get_user()
print("login:", me.login)
repo = me.create_repo("py-flow", private=True, auto_init=True, description="made by PyGithub")
print("created:", repo.full_name, repo.private)
repo = g.get_repo(me.login + "/py-flow")
print("got:", repo.full_name, repo.default_branch, repo.description)

path = "docs/nested/notes.md"
made = repo.create_file(path, "Add notes", "first version\n")
print("file created:", made["content"].path, made["commit"].sha is not None)
content = repo.get_contents(path)
print("file read:", content.path, content.decoded_content.decode())
updated = repo.update_file(path, "Update notes", "second version\n", content.sha)
print("file updated:", updated["content"].path)
print("file reread:", repo.get_contents(path).decoded_content.decode().strip())
listing = repo.get_contents("docs/nested")
print("folder:", ",".join(sorted(c.name for c in listing)))

print("branches:", ",".join(b.name for b in repo.get_branches()))
print("branch:", repo.get_branch("main").name)
commits = list(repo.get_commits())
print("commits:", len(commits), "|", commits[0].commit.message)
print("commit:", repo.get_commit(commits[0].sha).sha == commits[0].sha)

repo.delete_file(path, "Remove notes", repo.get_contents(path).sha)
try:
    repo.get_contents(path)
    print("file after delete: still there")
except GithubException as e:
    print("file after delete:", e.status)

repo.delete()
try:
    g.get_repo(me.login + "/py-flow")
    print("repo after delete: still there")
except GithubException as e:
    print("repo after delete:", e.status)
