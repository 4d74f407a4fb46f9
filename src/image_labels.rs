//! The OCI labels the image gets through the buildpack's launch.toml: the revision it was built
//! from (`SOURCE_VERSION`, the variable Heroku sets, or the commit checked out in `.git`) and
//! the address of its source (the `.git`'s `origin` remote, without credentials).

use crate::truncate;
use bullet_stream::global::print;
use bullet_stream::style;
use go_cnb_common::git_source::{self, GitHead};
use libcnb::data::launch::Label;
use libcnb::Env;
use std::path::Path;

pub(crate) const REVISION: &str = "org.opencontainers.image.revision";
pub(crate) const SOURCE: &str = "org.opencontainers.image.source";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageLabel {
    pub(crate) key: &'static str,
    pub(crate) value: String,
    /// Where the value comes from, as the output names it.
    pub(crate) origin: &'static str,
}

/// The labels the app's environment and `.git` make known; none when nothing is known.
pub(crate) fn source_labels(app_dir: &Path, env: &Env) -> Vec<ImageLabel> {
    let git_dir = app_dir.join(".git");
    let read = |relative: &str| std::fs::read_to_string(git_dir.join(relative)).ok();
    let source_version = env
        .get_string_lossy("SOURCE_VERSION")
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty());
    let revision = source_version
        .map(|value| ImageLabel {
            key: REVISION,
            value,
            origin: "SOURCE_VERSION",
        })
        .or_else(|| {
            checked_out_commit(&read).map(|value| ImageLabel {
                key: REVISION,
                value,
                origin: "the commit checked out in .git",
            })
        });
    // Paketo's BP_OCI_SOURCE, when set, says it outright.
    let source = env
        .get_string_lossy("BP_OCI_SOURCE")
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .map(|value| ImageLabel {
            key: SOURCE,
            value,
            origin: "BP_OCI_SOURCE",
        })
        .or_else(|| {
            read("config")
                .and_then(|config| git_source::remote_url(&config, "origin"))
                .and_then(|url| git_source::public_source_url(&url))
                .map(|value| ImageLabel {
                    key: SOURCE,
                    value,
                    origin: ".git's origin remote",
                })
        });
    revision.into_iter().chain(source).collect()
}

/// The commit `.git/HEAD` names, directly or through its branch's ref file or packed-refs.
fn checked_out_commit(read: &impl Fn(&str) -> Option<String>) -> Option<String> {
    match git_source::parse_head(&read("HEAD")?)? {
        GitHead::Commit(commit) => Some(commit),
        GitHead::Ref(name) => read(&name)
            .and_then(|text| git_source::parse_ref_file(&text))
            .or_else(|| git_source::packed_ref(&read("packed-refs")?, &name)),
    }
}

pub(crate) fn describe(labels: &[ImageLabel]) {
    if labels.is_empty() {
        return;
    }
    print::bullet("Image labels");
    for label in labels {
        print::sub_bullet(format!(
            "{}={} (from {})",
            label.key,
            style::value(truncate::for_display(&label.value)),
            label.origin
        ));
    }
}

pub(crate) fn launch_labels(labels: Vec<ImageLabel>) -> impl Iterator<Item = Label> {
    labels.into_iter().map(|label| Label {
        key: label.key.to_string(),
        value: label.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn git_app(files: &[(&str, &str)]) -> tempfile::TempDir {
        let app = tempfile::tempdir().expect("tempdir");
        for (relative, contents) in files {
            let path = app.path().join(".git").join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, contents).expect("write");
        }
        app
    }

    fn labels(app: &Path, env: &[(&str, &str)]) -> Vec<(&'static str, String, &'static str)> {
        let mut environment = Env::new();
        for (name, value) in env {
            environment.insert(name, value);
        }
        source_labels(app, &environment)
            .into_iter()
            .map(|label| (label.key, label.value, label.origin))
            .collect()
    }

    #[test]
    fn source_version_wins_over_the_checked_out_commit() {
        let app = git_app(&[
            ("HEAD", "ref: refs/heads/main\n"),
            ("refs/heads/main", &format!("{COMMIT}\n")),
            (
                "config",
                "[remote \"origin\"]\n\turl = https://user:token@github.com/acme/shop.git\n",
            ),
        ]);
        assert_eq!(
            labels(app.path(), &[]),
            [
                (
                    REVISION,
                    COMMIT.to_string(),
                    "the commit checked out in .git"
                ),
                (
                    SOURCE,
                    "https://github.com/acme/shop".to_string(),
                    ".git's origin remote"
                )
            ]
        );
        assert_eq!(
            labels(app.path(), &[("SOURCE_VERSION", "v1.2.3\n")])[0],
            (REVISION, "v1.2.3".to_string(), "SOURCE_VERSION")
        );
        assert_eq!(
            labels(
                app.path(),
                &[("BP_OCI_SOURCE", "https://example.test/shop")]
            )[1],
            (
                SOURCE,
                "https://example.test/shop".to_string(),
                "BP_OCI_SOURCE"
            )
        );
    }

    #[test]
    fn packed_refs_and_detached_heads_are_read_and_nothing_known_gives_no_labels() {
        let packed = git_app(&[
            ("HEAD", "ref: refs/heads/main\n"),
            ("packed-refs", &format!("{COMMIT} refs/heads/main\n")),
        ]);
        assert_eq!(labels(packed.path(), &[])[0].1, COMMIT);
        let detached = git_app(&[("HEAD", COMMIT)]);
        assert_eq!(labels(detached.path(), &[])[0].1, COMMIT);
        let unborn = git_app(&[("HEAD", "ref: refs/heads/main\n")]);
        assert_eq!(labels(unborn.path(), &[]), []);
        let no_git = tempfile::tempdir().expect("tempdir");
        assert_eq!(labels(no_git.path(), &[("SOURCE_VERSION", " ")]), []);
    }
}
