//! What a build's binaries are made from, as one digest: the app's files, the Go release, the
//! target, the build's environment and this buildpack itself. When a rebuild's digest is the
//! last build's, the binaries it kept are the ones a build would make again, so neither the
//! toolchain nor the build cache is unpacked and no go command runs.
//!
//! It errs on the side of rebuilding: every file of the app counts (`.git` too, which VCS
//! stamping reads), and every variable of the environment but those the platform sets afresh
//! for each build.

use sha2::{Digest, Sha256};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Variables that differ between builds of the same app without changing what go builds: the
/// container's name, and the lifecycle's paths for this build (its target is counted apart).
fn varies_per_build(name: &OsStr) -> bool {
    let name = name.as_bytes();
    name == b"HOSTNAME" || (name.starts_with(b"CNB_") && !name.starts_with(b"CNB_TARGET_"))
}

/// Variables that may hold credentials, which never go into the digest (it is kept in the
/// image's metadata): they decide what the build may fetch, not what it builds.
fn may_hold_credentials(name: &OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_uppercase();
    [
        "NETRC",
        "TOKEN",
        "PASSWORD",
        "SECRET",
        "CREDENTIAL",
        "AUTH",
        "_KEY",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// A value with the `user:password@` of each URL in it left out.
fn without_userinfo(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.windows(3).position(|w| w == b"://") {
        out.extend_from_slice(&rest[..at + 3]);
        rest = &rest[at + 3..];
        let authority_end = rest
            .iter()
            .position(|b| matches!(b, b'/' | b',' | b'|' | b' '))
            .unwrap_or(rest.len());
        if let Some(user_end) = rest[..authority_end].iter().rposition(|b| *b == b'@') {
            rest = &rest[user_end + 1..];
        }
    }
    out.extend_from_slice(rest);
    out
}

/// The digest of a build's inputs (hex), or the error that kept the app's files from being read
/// (then the build compiles as usual).
pub(crate) fn digest<'a>(
    app_dir: &Path,
    env: impl IntoIterator<Item = (&'a OsStr, &'a OsStr)>,
    go_release: &str,
    target: &libcnb::Target,
) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let buildpack = go_cnb_common::sha256_of_file(&std::env::current_exe()?)?;
    field(&mut hasher, b"buildpack", &buildpack);
    field(&mut hasher, b"go", go_release.as_bytes());
    for part in [
        &target.os,
        &target.arch,
        target.arch_variant.as_deref().unwrap_or(""),
        &target.distro_name,
        &target.distro_version,
    ] {
        field(&mut hasher, b"target", part.as_bytes());
    }
    let mut variables: Vec<(&OsStr, &OsStr)> = env
        .into_iter()
        .filter(|(name, _)| !varies_per_build(name) && !may_hold_credentials(name))
        .collect();
    variables.sort();
    for (name, value) in variables {
        field(&mut hasher, b"variable", name.as_bytes());
        field(&mut hasher, b"value", &without_userinfo(value.as_bytes()));
    }
    hash_tree(&mut hasher, app_dir, Path::new(""))?;
    Ok(go_cnb_common::hex(&hasher.finalize()))
}

/// A length-prefixed field, so that no two different inputs hash alike.
fn field(hasher: &mut Sha256, kind: &[u8], bytes: &[u8]) {
    hasher.update(kind);
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn hash_tree(hasher: &mut Sha256, root: &Path, relative: &Path) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(relative))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = relative.join(entry.file_name());
        let metadata = std::fs::symlink_metadata(entry.path())?;
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            field(hasher, b"dir", path.as_os_str().as_bytes());
            field(hasher, b"mode", &mode.to_le_bytes());
            hash_tree(hasher, root, &path)?;
        } else if metadata.is_symlink() {
            field(hasher, b"symlink", path.as_os_str().as_bytes());
            field(
                hasher,
                b"to",
                std::fs::read_link(entry.path())?.as_os_str().as_bytes(),
            );
        } else {
            field(hasher, b"file", path.as_os_str().as_bytes());
            field(hasher, b"mode", &mode.to_le_bytes());
            field(
                hasher,
                b"contents",
                &go_cnb_common::sha256_of_file(&entry.path())?,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> libcnb::Target {
        libcnb::Target {
            os: String::from("linux"),
            arch: String::from("amd64"),
            arch_variant: None,
            distro_name: String::from("debian"),
            distro_version: String::from("12"),
        }
    }

    fn app() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("go.mod"), "module example.com/app\n").expect("write");
        std::fs::create_dir_all(dir.path().join("cmd/web")).expect("mkdir");
        std::fs::write(dir.path().join("cmd/web/main.go"), "package main\n").expect("write");
        dir
    }

    fn digest_of(app: &Path, env: &[(&str, &str)], go: &str) -> String {
        digest(
            app,
            env.iter().map(|(n, v)| (OsStr::new(n), OsStr::new(v))),
            go,
            &target(),
        )
        .expect("digest")
    }

    #[test]
    fn the_same_inputs_give_the_same_digest_whatever_the_platform_sets_per_build() {
        let app = app();
        let first = digest_of(
            app.path(),
            &[
                ("GOFLAGS", "-trimpath"),
                ("HOSTNAME", "a1"),
                ("CNB_BP_PLAN_PATH", "/tmp/x"),
            ],
            "1.26.6",
        );
        let second = digest_of(
            app.path(),
            &[
                ("HOSTNAME", "b2"),
                ("GOFLAGS", "-trimpath"),
                ("CNB_BP_PLAN_PATH", "/tmp/y"),
            ],
            "1.26.6",
        );
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
    }

    #[test]
    fn any_change_a_build_could_see_changes_the_digest() {
        let app = app();
        let base = digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.6");
        let mut seen = vec![base.clone()];
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-race")], "1.26.6"));
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.5"));
        seen.push(digest_of(
            app.path(),
            &[("GOFLAGS", "-trimpath"), ("CNB_TARGET_ARCH", "arm64")],
            "1.26.6",
        ));
        std::fs::write(app.path().join("cmd/web/main.go"), "package main // edit\n")
            .expect("write");
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.6"));
        std::fs::set_permissions(
            app.path().join("go.mod"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.6"));
        // A file moved to another directory, with the same name and contents.
        std::fs::create_dir_all(app.path().join("cmd/api")).expect("mkdir");
        std::fs::rename(
            app.path().join("cmd/web/main.go"),
            app.path().join("cmd/api/main.go"),
        )
        .expect("move");
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.6"));
        std::fs::create_dir_all(app.path().join(".git")).expect("mkdir");
        std::fs::write(app.path().join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
        seen.push(digest_of(app.path(), &[("GOFLAGS", "-trimpath")], "1.26.6"));
        let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!(distinct.len(), seen.len(), "{seen:#?}");
    }

    #[test]
    fn credentials_never_reach_the_digest() {
        let app = app();
        let with = |env: &[(&str, &str)]| digest_of(app.path(), env, "1.26.6");
        assert_eq!(
            with(&[
                ("GO_NETRC", "machine a password s3cret"),
                ("GITHUB_TOKEN", "t1")
            ]),
            with(&[
                ("GO_NETRC", "machine a password other"),
                ("GITHUB_TOKEN", "t2")
            ])
        );
        assert_eq!(
            with(&[("GOPROXY", "https://me:s3cret@proxy.example/v1,direct")]),
            with(&[("GOPROXY", "https://proxy.example/v1,direct")])
        );
        assert_ne!(
            with(&[("GOPROXY", "https://proxy.example/v1,direct")]),
            with(&[("GOPROXY", "https://other.example/v1,direct")])
        );
        assert_eq!(
            without_userinfo(b"https://a:b@x.example|file:///srv/proxy"),
            b"https://x.example|file:///srv/proxy"
        );
    }

    #[test]
    fn an_unreadable_app_is_an_error_not_a_digest() {
        let app = app();
        std::fs::remove_dir_all(app.path()).expect("rm");
        assert!(digest(app.path(), std::iter::empty(), "1.26.6", &target()).is_err());
    }
}
