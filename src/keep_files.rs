//! `GO_KEEP_FILES`: on request, the app directory of the image keeps only the files the
//! processes read at run time (templates, static assets, migrations: the globs given), plus the
//! Procfile and project.toml, instead of the whole source. Done last, after every go command
//! has read the source; the next build gets the whole source again from the platform.

use crate::sizes::count_of;
use bullet_stream::global::print;
use bullet_stream::style;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// Files kept whatever the globs: the platform and later buildpacks read them.
const ALWAYS_KEPT: [&str; 2] = ["Procfile", "project.toml"];

#[derive(Debug, thiserror::Error)]
pub(crate) enum KeepFilesError {
    #[error("GO_KEEP_FILES: `{pattern}` is not a glob: {reason}")]
    BadGlob { pattern: String, reason: String },
    #[error("could not remove {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The globs of `GO_KEEP_FILES`, relative to the app directory.
#[derive(Debug, Clone)]
pub(crate) struct KeepFiles {
    patterns: Vec<String>,
    globs: GlobSet,
}

impl PartialEq for KeepFiles {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for KeepFiles {}

impl KeepFiles {
    /// Reads `GO_KEEP_FILES`: globs separated by `:` (as Paketo's `BP_KEEP_FILES`), `*`
    /// within one path element, `**` across elements.
    pub(crate) fn parse(value: &str) -> Result<Self, KeepFilesError> {
        let patterns: Vec<String> = value
            .split(':')
            .map(|pattern| pattern.trim().trim_start_matches("./").to_string())
            .filter(|pattern| !pattern.is_empty())
            .collect();
        let mut builder = GlobSetBuilder::new();
        for pattern in &patterns {
            if pattern.starts_with('/') || pattern.split('/').any(|part| part == "..") {
                return Err(KeepFilesError::BadGlob {
                    pattern: pattern.clone(),
                    reason: String::from("globs are relative to the app directory and stay in it"),
                });
            }
            builder.add(glob(pattern)?);
        }
        let globs = builder.build().map_err(|error| KeepFilesError::BadGlob {
            pattern: patterns.join(":"),
            reason: error.to_string(),
        })?;
        Ok(KeepFiles { patterns, globs })
    }

    /// Whether `relative` (a path in the app directory) stays: it, or a directory it is in,
    /// matches a glob, or it is one of the files always kept.
    fn keeps(&self, relative: &Path) -> bool {
        ALWAYS_KEPT.iter().any(|name| relative == Path::new(name))
            || relative
                .ancestors()
                .filter(|path| !path.as_os_str().is_empty())
                .any(|path| self.globs.is_match(path))
    }

    /// Removes every file of the app directory that is not kept, and the directories left
    /// empty; says what it kept and removed.
    pub(crate) fn clear_app_dir(&self, app_dir: &Path) -> Result<(), KeepFilesError> {
        let mut tally = Tally::default();
        self.clear_dir(app_dir, Path::new(""), &mut tally)?;
        print::sub_bullet(format!(
            "GO_KEEP_FILES={}: kept {} (with the Procfile and project.toml), removed {} ({}) that no process reads",
            style::value(crate::truncate::for_display(&self.patterns.join(":"))),
            count_of(tally.kept, "file", "files"),
            count_of(tally.removed, "file", "files"),
            crate::sizes::megabytes(tally.removed_bytes)
        ));
        Ok(())
    }

    /// Clears `dir` (`relative` in the app directory); returns whether anything is left in it.
    fn clear_dir(
        &self,
        dir: &Path,
        relative: &Path,
        tally: &mut Tally,
    ) -> Result<bool, KeepFilesError> {
        let remove_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeepFilesError::Remove { path, source }
        };
        let mut anything_left = false;
        for entry in std::fs::read_dir(dir).map_err(remove_error(dir))? {
            let entry = entry.map_err(remove_error(dir))?;
            let path = entry.path();
            let relative = relative.join(entry.file_name());
            if self.keeps(&relative) {
                anything_left = true;
                tally.kept += count_files(&path);
                continue;
            }
            // The entry's own type: a link is removed, never followed.
            let file_type = entry.file_type().map_err(remove_error(&path))?;
            if file_type.is_dir() {
                if self.clear_dir(&path, &relative, tally)? {
                    anything_left = true;
                } else {
                    std::fs::remove_dir(&path).map_err(remove_error(&path))?;
                }
            } else {
                tally.removed += 1;
                tally.removed_bytes += entry.metadata().map_or(0, |meta| meta.len());
                std::fs::remove_file(&path).map_err(remove_error(&path))?;
            }
        }
        Ok(anything_left)
    }
}

fn glob(pattern: &str) -> Result<Glob, KeepFilesError> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|error| KeepFilesError::BadGlob {
            pattern: pattern.to_string(),
            reason: error.kind().to_string(),
        })
}

#[derive(Debug, Default)]
struct Tally {
    kept: usize,
    removed: usize,
    removed_bytes: u64,
}

/// The files under `path` (1 for a file or a link).
fn count_files(path: &Path) -> usize {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| count_files(&entry.path()))
                .sum()
        }),
        Ok(_) => 1,
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "x").expect("write");
        }
        dir
    }

    fn left(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(current) = stack.pop() {
            for entry in std::fs::read_dir(&current).expect("read").flatten() {
                let path = entry.path();
                let relative = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                if entry.file_type().expect("type").is_dir() {
                    found.push(format!("{relative}/"));
                    stack.push(path);
                } else {
                    found.push(relative);
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn only_matching_files_and_the_platform_files_stay() {
        let app = tree(&[
            "main.go",
            "go.mod",
            "Procfile",
            "project.toml",
            "internal/db/db.go",
            "internal/db/migrations/001.sql",
            "templates/index.html",
            "templates/admin/users.html",
            "static/css/app.css",
            "docs/readme.md",
            "config.yaml",
        ]);
        std::os::unix::fs::symlink("/etc", app.path().join("etc-link")).expect("symlink");
        let keep = KeepFiles::parse("templates/**:./static: **/*.sql :config.yaml").expect("globs");
        keep.clear_app_dir(app.path()).expect("cleared");
        assert_eq!(
            left(app.path()),
            [
                "Procfile",
                "config.yaml",
                "internal/",
                "internal/db/",
                "internal/db/migrations/",
                "internal/db/migrations/001.sql",
                "project.toml",
                "static/",
                "static/css/",
                "static/css/app.css",
                "templates/",
                "templates/admin/",
                "templates/admin/users.html",
                "templates/index.html",
            ]
        );
        assert!(
            Path::new("/etc").is_dir(),
            "a link is removed, not followed"
        );
    }

    #[test]
    fn star_stays_within_a_directory() {
        let app = tree(&["templates/a.html", "templates/deep/b.html", "a.html"]);
        KeepFiles::parse("templates/*.html")
            .expect("glob")
            .clear_app_dir(app.path())
            .expect("cleared");
        assert_eq!(left(app.path()), ["templates/", "templates/a.html"]);
    }

    #[test]
    fn globs_leaving_the_app_or_malformed_are_refused() {
        for bad in ["../secrets", "/etc/passwd", "templates/[a-"] {
            assert!(
                matches!(KeepFiles::parse(bad), Err(KeepFilesError::BadGlob { .. })),
                "{bad}"
            );
        }
    }
}
