"""The Git data calls a PyGithub script makes, against Latchkey: python3 pygithub_gitdata.py BASE_URL TOKEN.

Prints one line per step ("step: result"), and the shas it made ("sha NAME: SHA") for the test to
compare with git ls-remote."""
import sys

from github import Github, InputGitTreeElement

base, token = sys.argv[1], sys.argv[2]
g = Github(login_or_token=token, base_url=base.rstrip("/") + "/api/v3")
repo = g.get_user().create_repo("py-data", private=True, auto_init=True)
head = repo.get_branch("main").commit.sha

ref = repo.create_git_ref("refs/heads/py-branch", head)
print("ref:", ref.ref, ref.object.type, ref.object.sha == head)
tag = repo.create_git_tag("py-v1", "PyGithub release", head, "commit")
print("tag:", tag.tag, tag.message.strip(), tag.object.type, tag.object.sha == head)
tag_ref = repo.create_git_ref("refs/tags/py-v1", tag.sha)
print("tag ref:", tag_ref.ref, tag_ref.object.type, tag_ref.object.sha == tag.sha)
print("git tag:", repo.get_git_tag(tag.sha).message.strip())
print("tags:", ",".join(t.name for t in repo.get_tags()))

blob = repo.create_git_blob("from PyGithub\n", "utf-8")
tree = repo.create_git_tree([InputGitTreeElement("py/notes.txt", "100644", "blob", sha=blob.sha)], repo.get_git_tree(head))
commit = repo.create_git_commit("PyGithub commit", tree, [repo.get_git_commit(head)])
ref.edit(commit.sha)
print("branch moved:", repo.get_git_ref("heads/py-branch").object.sha == commit.sha)
print("refs:", ",".join(r.ref for r in repo.get_git_refs()))

print("sha head:", head)
print("sha commit:", commit.sha)
print("sha tag:", tag.sha)
