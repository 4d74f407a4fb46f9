"""Rewrites an image saved by `docker save` (unpacked in DIR) as an image for another
architecture, named NAME: the same files, only the config's `architecture` differs. The
lifecycle takes a build's target (CNB_TARGET_ARCH) from the run image's config, so a run image
so relabelled stands for a builder of another architecture. Usage: retag-arch.py DIR ARCH NAME"""
import hashlib
import json
import os
import sys

work, arch, name = sys.argv[1:4]
with open(os.path.join(work, "manifest.json")) as f:
    manifest = json.load(f)
config_path = os.path.join(work, manifest[0]["Config"])
with open(config_path) as f:
    config = json.load(f)
config["architecture"] = arch
body = json.dumps(config, separators=(",", ":")).encode()
digest = hashlib.sha256(body).hexdigest()
os.remove(config_path)
with open(os.path.join(work, digest + ".json"), "wb") as f:
    f.write(body)
manifest[0]["Config"] = digest + ".json"
manifest[0]["RepoTags"] = [name]
with open(os.path.join(work, "manifest.json"), "w") as f:
    json.dump(manifest, f)
repositories = os.path.join(work, "repositories")
if os.path.exists(repositories):
    os.remove(repositories)
