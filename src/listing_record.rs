//! The main packages of the last build, kept beside the build cache with a digest of what
//! decides them, so that a build in which none of that changed does not run `go list` again
//! (on a rebuild without changes, `go list` beside `go install` adds 20-25 ms to its 80-100).
//!
//! What decides the main packages that local patterns match: the directory tree the patterns
//! reach, the `.go` files in it (names and contents: package clauses, build constraints, cgo
//! imports), the `go.mod` and `go.work` files, the Go release, and the go command's settings.
//! The digest covers all of them; patterns it cannot cover (other modules' packages,
//! directories outside the app or under one that `...` skips) make the build list the packages
//! every time.

use crate::go_packages::MainPackage;
use libcnb::Env;
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};

/// Bumped when what the digest covers changes, so that an older record never matches.
const DIGEST_VERSION: &str = "main-packages 1";

/// Directory names the go command's `...` patterns never enter (in module mode).
fn skipped_by_wildcards(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_') || name == "testdata" || name == "vendor"
}

/// Whether every pattern is a directory of the app that the digest's walk sees: `.`, `./dir`,
/// `./dir/...`, or the module path followed by those (nothing under a directory the walk skips,
/// nothing above the app).
fn patterns_are_local(patterns: &[String], module_path: &str) -> bool {
    patterns.iter().all(|pattern| {
        let relative = if pattern == "." || pattern == module_path {
            Some("")
        } else if let Some(rest) = pattern.strip_prefix("./") {
            Some(rest)
        } else {
            pattern
                .strip_prefix(module_path)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        relative.is_some_and(|relative| {
            relative
                .split('/')
                .filter(|part| !part.is_empty())
                .all(|part| part == "..." || (part != ".." && !skipped_by_wildcards(part)))
        })
    })
}

/// The go command's settings that can change which packages are main and where they are
/// installed: every `GO*` and `CGO_*` variable, and `CC`, `CXX` and `PATH` (cgo is off by
/// default without a C compiler); not the buildpack's own `GO_*` configuration (the patterns
/// it chooses are part of the digest). Left out: GOPROXY and GOAUTH, which may hold
/// credentials and play no part in listing local packages, and the values of `-ldflags` in
/// GOFLAGS (they may carry secrets through `-X`, and only affect linking).
fn settings(env: &Env) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = env
        .iter()
        .map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        })
        .filter(|(name, _)| {
            let go_command_variable = name.starts_with("GO") && !name.starts_with("GO_");
            (go_command_variable
                || name.starts_with("CGO_")
                || ["CC", "CXX", "PATH"].contains(&name.as_str()))
                && name != "GOPROXY"
                && name != "GOAUTH"
        })
        .map(|(name, value)| {
            if name == "GOFLAGS" {
                let flags: Vec<&str> = value
                    .split_whitespace()
                    .filter(|flag| !flag.trim_start_matches('-').starts_with("ldflags"))
                    .collect();
                (name, flags.join(" "))
            } else {
                (name, value)
            }
        })
        .collect();
    settings.sort();
    settings
}

/// Whether the C compiler the go command would use is there: without `CGO_ENABLED`, cgo is on
/// only when it is, and that decides whether files that `import "C"` count.
fn c_compiler_found(env: &Env) -> bool {
    let cc = env
        .get_string_lossy("CC")
        .unwrap_or_else(|| String::from("gcc"));
    let Some(program) = cc.split_whitespace().next() else {
        return false;
    };
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    env.get_string_lossy("PATH")
        .unwrap_or_default()
        .split(':')
        .any(|dir| Path::new(dir).join(program).is_file())
}

/// The digest of the app's tree, made on a thread from the start of the build (the walk costs
/// what `go list` would for a large tree, but overlaps the preparation of the layers).
pub(crate) struct AppTreeDigest(std::thread::JoinHandle<io::Result<Vec<u8>>>);

impl AppTreeDigest {
    pub(crate) fn start(app_dir: &Path) -> Self {
        let app_dir = app_dir.to_path_buf();
        AppTreeDigest(std::thread::spawn(move || {
            let mut digest = Sha256::new();
            digest_tree(&app_dir, Path::new(""), &mut digest)?;
            Ok(digest.finalize().to_vec())
        }))
    }
}

/// What the record's digest is made of, gathered before the build; the digest itself is
/// finished beside `go install` (see [`PendingRecord::resolve`]), so that a large tree's walk
/// never delays the go command.
pub(crate) struct PendingRecord {
    pub(crate) path: PathBuf,
    pub(crate) tree: AppTreeDigest,
    pub(crate) patterns: Vec<String>,
    pub(crate) module_path: String,
    pub(crate) go_version: String,
    pub(crate) env: Env,
}

impl PendingRecord {
    /// `None` when the patterns reach beyond what the digest covers, or the tree could not be
    /// read (then the build lists the packages, and the go command says what is wrong).
    pub(crate) fn resolve(self) -> Option<ListingRecord> {
        let PendingRecord {
            path,
            tree,
            patterns,
            module_path,
            go_version,
            env,
        } = self;
        let tree = tree.0.join().ok()?.ok()?;
        if !patterns_are_local(&patterns, &module_path) {
            return None;
        }
        let mut digest = Sha256::new();
        let mut line = |text: &[u8]| {
            digest.update(text);
            digest.update(b"\0");
        };
        line(DIGEST_VERSION.as_bytes());
        line(go_version.as_bytes());
        for pattern in &patterns {
            line(pattern.as_bytes());
        }
        for (name, value) in settings(&env) {
            line(format!("{name}={value}").as_bytes());
        }
        line(format!("c compiler found={}", c_compiler_found(&env)).as_bytes());
        line(&tree);
        Some(ListingRecord {
            path,
            digest: go_cnb_common::hex(&digest.finalize()),
        })
    }
}

/// Where the main packages are recorded, and the digest of what decides them in this build.
pub(crate) struct ListingRecord {
    path: PathBuf,
    digest: String,
}

impl ListingRecord {
    /// The main packages recorded by the last build, when what decides them is unchanged.
    pub(crate) fn recorded_packages(&self) -> Option<Vec<MainPackage>> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let mut lines = text.lines();
        if lines.next()? != self.digest {
            return None;
        }
        let packages: Vec<MainPackage> = lines
            .map(|line| {
                line.split_once('\t')
                    .map(|(import_path, binary)| MainPackage {
                        import_path: import_path.to_string(),
                        binary: binary.to_string(),
                    })
            })
            .collect::<Option<_>>()?;
        (!packages.is_empty()).then_some(packages)
    }

    /// Records the packages: the digest on the first line, then `import path<TAB>binary` a
    /// line. The file is left as it is when it already says exactly this (so that the cache
    /// layer holding it is not archived again).
    pub(crate) fn save(&self, packages: &[MainPackage]) -> io::Result<()> {
        let text: String = std::iter::once(format!("{}\n", self.digest))
            .chain(
                packages
                    .iter()
                    .map(|package| format!("{}\t{}\n", package.import_path, package.binary)),
            )
            .collect();
        if std::fs::read_to_string(&self.path).is_ok_and(|old| old == text) {
            return Ok(());
        }
        std::fs::write(&self.path, text)
    }
}

/// Adds the tree under `dir` (named `relative` within the app) to the digest: the path and
/// contents of every `.go`, `go.mod` and `go.work` file in the directories the wildcards enter
/// (a symbolic link's target too; the go command reads files through links but does not enter
/// linked directories). Other files cannot change which packages are main.
fn digest_tree(dir: &Path, relative: &Path, digest: &mut Sha256) -> io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        let path = relative.join(&name);
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if !skipped_by_wildcards(&name_text) {
                digest_tree(&entry.path(), &path, digest)?;
            }
        } else if name_text.ends_with(".go") || name_text == "go.mod" || name_text == "go.work" {
            digest.update(format!("file {}\0", path.display()).as_bytes());
            if file_type.is_symlink() {
                let target = std::fs::read_link(entry.path())?;
                digest.update(format!("link {}\0", target.display()).as_bytes());
            }
            digest_contents(&entry.path(), digest);
        }
    }
    Ok(())
}

/// A file's contents, or a marker when it cannot be read (the go command then fails on it).
fn digest_contents(path: &Path, digest: &mut Sha256) {
    match std::fs::read(path) {
        Ok(contents) => {
            digest.update((contents.len() as u64).to_le_bytes());
            digest.update(&contents);
        }
        Err(error) => digest.update(format!("unreadable {}\0", error.kind()).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn only_patterns_within_the_walked_tree_are_local() {
        let module = "example.com/app";
        for local in [
            &["./..."][..],
            &["."],
            &["./cmd/web", "./cmd/..."],
            &["example.com/app"],
            &["example.com/app/cmd/..."],
            &["./cmd/w..."],
        ] {
            assert!(patterns_are_local(&patterns(local), module), "{local:?}");
        }
        for other in [
            &["golang.org/x/tools/cmd/stringer"][..],
            &["./...", "github.com/other/tool"],
            &["../sibling/..."],
            &["./.hidden/cmd"],
            &["./_build/..."],
            &["./testdata/cmd"],
            &["./vendor/example.com/dep/cmd"],
            &["example.com/application/cmd"],
            &["std"],
        ] {
            assert!(!patterns_are_local(&patterns(other), module), "{other:?}");
        }
    }

    fn write(root: &Path, relative: &str, contents: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    fn app() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "go.mod", "module example.com/app\n\ngo 1.26\n");
        write(
            dir.path(),
            "cmd/web/main.go",
            "package main\n\nfunc main() {}\n",
        );
        write(dir.path(), "internal/lib/lib.go", "package lib\n");
        dir
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (name, value) in pairs {
            env.insert(name, value);
        }
        env
    }

    const BASE_ENV: &[(&str, &str)] = &[
        ("GOFLAGS", "-trimpath -tags=heroku"),
        ("GOBIN", "/layers/target/bin"),
        ("PATH", "/usr/bin"),
    ];

    fn digest(app_dir: &Path, env: &Env) -> String {
        PendingRecord {
            path: app_dir.join("record"),
            tree: AppTreeDigest::start(app_dir),
            patterns: patterns(&["./..."]),
            module_path: String::from("example.com/app"),
            go_version: String::from("1.26.6"),
            env: env.clone(),
        }
        .resolve()
        .expect("local patterns")
        .digest
    }

    #[test]
    fn the_digest_changes_with_what_decides_the_main_packages_only() {
        let dir = app();
        let root = dir.path();
        let base = env(BASE_ENV);
        let first = digest(root, &base);
        assert_eq!(digest(root, &base), first);

        // Files and directories that cannot change which packages are main.
        write(root, "README.md", "# app\n");
        write(root, "static/app.js", "1");
        write(root, ".git/HEAD", "ref: refs/heads/main\n");
        write(root, "cmd/web/testdata/fixture.go", "package main\n");
        write(root, "vendor/modules.txt", "# nothing\n");
        write(root, "_scratch/main.go", "package main\n");
        assert_eq!(digest(root, &base), first);
        // Settings that play no part in listing.
        let mut quiet = BASE_ENV.to_vec();
        quiet.extend([
            ("GO_INVENTORY", "http://127.0.0.1:1234/inventory.toml"),
            ("GOPROXY", "https://user:secret@proxy.example"),
            ("DATABASE_URL", "postgres://secret"),
        ]);
        quiet[0] = (
            "GOFLAGS",
            "-trimpath -tags=heroku -ldflags=-X=main.key=secret",
        );
        assert_eq!(digest(root, &env(&quiet)), first);

        // What does change them.
        let mut tags = BASE_ENV.to_vec();
        tags[0] = ("GOFLAGS", "-trimpath -tags=heroku,nojobs");
        assert_ne!(digest(root, &env(&tags)), first);
        let mut cgo = BASE_ENV.to_vec();
        cgo.push(("CGO_ENABLED", "0"));
        assert_ne!(digest(root, &env(&cgo)), first);
        // A C compiler appearing turns cgo on by default.
        let bin = tempfile::tempdir().expect("tempdir");
        let mut compiler_path = BASE_ENV.to_vec();
        let path = bin.path().display().to_string();
        compiler_path[2] = ("PATH", &path);
        let without_compiler = digest(root, &env(&compiler_path));
        write(bin.path(), "gcc", "#!/bin/sh\n");
        assert_ne!(digest(root, &env(&compiler_path)), without_compiler);
        let edits: [&dyn Fn(&Path); 4] = [
            &|root| write(root, "internal/lib/lib.go", "package main\n"),
            &|root| write(root, "internal/lib/extra_linux.go", "package lib\n"),
            &|root| {
                std::fs::rename(root.join("cmd/web"), root.join("cmd/api")).expect("rename");
            },
            &|root| write(root, "go.mod", "module example.com/other\n\ngo 1.26\n"),
        ];
        for edit in edits {
            let before = digest(root, &base);
            edit(root);
            assert_ne!(digest(root, &base), before);
        }
    }

    #[test]
    fn the_recorded_packages_are_used_only_with_the_same_digest() {
        let dir = app();
        let record = |digest: &str| ListingRecord {
            path: dir.path().join("main-packages"),
            digest: digest.to_string(),
        };
        let packages = vec![
            MainPackage {
                import_path: String::from("example.com/app/cmd/web"),
                binary: String::from("web"),
            },
            MainPackage {
                import_path: String::from("example.com/app/cmd/worker"),
                binary: String::from("worker"),
            },
        ];
        assert_eq!(record("one").recorded_packages(), None);
        record("one").save(&packages).expect("save");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("main-packages")).expect("read"),
            "one\nexample.com/app/cmd/web\tweb\nexample.com/app/cmd/worker\tworker\n"
        );
        assert_eq!(record("one").recorded_packages(), Some(packages.clone()));
        assert_eq!(record("two").recorded_packages(), None);

        // The same record is not written again.
        let path = dir.path().join("main-packages");
        let old = filetime::FileTime::from_unix_time(1_000_000_000, 0);
        filetime::set_file_mtime(&path, old).expect("date");
        record("one").save(&packages).expect("save");
        assert_eq!(
            filetime::FileTime::from_last_modification_time(&path.metadata().expect("stat")),
            old
        );

        // A damaged record is not used.
        std::fs::write(&path, "one\nexample.com/app/cmd/web\n").expect("write");
        assert_eq!(record("one").recorded_packages(), None);
    }
}
