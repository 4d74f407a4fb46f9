//! Layer environment directories (`env/`, `env.launch/`, `env.build/`), as Buildpack API 0.10
//! defines them: `NAME` or `NAME.override` sets, `NAME.default` sets when unset,
//! `NAME.prepend`/`NAME.append` join with the contents of `NAME.delim` (no delimiter when absent).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

pub type EnvMap = BTreeMap<String, String>;

/// Applies every file of `dir` to `env`, in file-name order as the lifecycle does.
///
/// # Errors
/// When the directory or one of its files cannot be read.
pub fn apply_env_dir(env: &mut EnvMap, dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for file_name in files {
        let value = std::fs::read_to_string(dir.join(&file_name))?;
        let (name, action) = match file_name.rsplit_once('.') {
            Some((name, action @ ("override" | "default" | "prepend" | "append" | "delim"))) => {
                (name.to_string(), action)
            }
            _ => (file_name.clone(), "override"),
        };
        let delimiter =
            || std::fs::read_to_string(dir.join(format!("{name}.delim"))).unwrap_or_default();
        match action {
            "override" => {
                env.insert(name, value);
            }
            "default" => {
                env.entry(name).or_insert(value);
            }
            "prepend" => {
                let joined = match env.get(&name) {
                    Some(existing) if !existing.is_empty() => {
                        format!("{value}{}{existing}", delimiter())
                    }
                    _ => value,
                };
                env.insert(name, joined);
            }
            "append" => {
                let joined = match env.get(&name) {
                    Some(existing) if !existing.is_empty() => {
                        format!("{existing}{}{value}", delimiter())
                    }
                    _ => value,
                };
                env.insert(name, joined);
            }
            // `.delim` only modifies how the other files join.
            _ => {}
        }
    }
    Ok(())
}

/// Prepends `dir` to the `:`-separated variable `name`.
pub fn prepend_path(env: &mut EnvMap, name: &str, dir: &Path) {
    let dir = dir.display().to_string();
    let value = match env.get(name) {
        Some(existing) if !existing.is_empty() => format!("{dir}:{existing}"),
        _ => dir,
    };
    env.insert(name.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, contents) in files {
            std::fs::write(dir.path().join(name), contents).expect("write");
        }
        dir
    }

    fn env(pairs: &[(&str, &str)]) -> EnvMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn no_suffix_and_override_replace() {
        let dir = env_dir(&[("A", "new"), ("B.override", "newer")]);
        let mut e = env(&[("A", "old"), ("B", "old")]);
        apply_env_dir(&mut e, dir.path()).expect("applies");
        assert_eq!(e, env(&[("A", "new"), ("B", "newer")]));
    }

    #[test]
    fn default_only_sets_unset_variables() {
        let dir = env_dir(&[("A.default", "fallback"), ("B.default", "fallback")]);
        let mut e = env(&[("A", "mine")]);
        apply_env_dir(&mut e, dir.path()).expect("applies");
        assert_eq!(e, env(&[("A", "mine"), ("B", "fallback")]));
    }

    #[test]
    fn prepend_and_append_use_delim_or_nothing() {
        let dir = env_dir(&[
            ("PATH.prepend", "/layer/bin"),
            ("PATH.delim", ":"),
            ("FLAGS.append", "-b"),
            ("JOINED.append", "tail"),
        ]);
        let mut e = env(&[("PATH", "/usr/bin"), ("FLAGS", "-a"), ("JOINED", "head")]);
        apply_env_dir(&mut e, dir.path()).expect("applies");
        assert_eq!(e["PATH"], "/layer/bin:/usr/bin");
        // Without a .delim file the values are joined with no delimiter at all.
        assert_eq!(e["FLAGS"], "-a-b");
        assert_eq!(e["JOINED"], "headtail");
    }

    #[test]
    fn prepend_to_unset_variable_sets_it() {
        let dir = env_dir(&[("NEW.prepend", "x"), ("NEW.delim", ":")]);
        let mut e = EnvMap::new();
        apply_env_dir(&mut e, dir.path()).expect("applies");
        assert_eq!(e["NEW"], "x");
    }

    #[test]
    fn missing_directory_changes_nothing() {
        let mut e = env(&[("A", "1")]);
        apply_env_dir(&mut e, Path::new("/nonexistent/env")).expect("fine");
        assert_eq!(e, env(&[("A", "1")]));
    }
}
