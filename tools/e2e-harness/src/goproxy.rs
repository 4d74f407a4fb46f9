//! A GOPROXY tree built from module sources the project writes.
//!
//! Sources live at `<src>/<module path>/@<version>/…`; the proxy gets, per module and version,
//! `@v/list`, `.info`, `.mod` and a `.zip` whose entries are `<module>@<version>/<file>`, as
//! the GOPROXY protocol (`go help goproxy`) defines.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use go_cnb_common::escape_module_path as escape;

/// Builds the proxy at `out` from the sources under `src`. Returns the module@version list.
///
/// # Errors
/// When a source cannot be read or the proxy cannot be written.
pub fn build_goproxy(src: &Path, out: &Path) -> Result<Vec<String>, String> {
    let _ = std::fs::remove_dir_all(out);
    let mut versions_dirs: Vec<PathBuf> = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current)
            .map_err(|e| format!("read {}: {e}", current.display()))?
            .flatten()
        {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("@v"))
            {
                versions_dirs.push(path);
            } else {
                stack.push(path);
            }
        }
    }
    versions_dirs.sort();

    let mut published = Vec::new();
    let mut lists: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for version_dir in versions_dirs {
        let version = version_dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.trim_start_matches('@').to_string())
            .unwrap_or_default();
        let module = version_dir
            .parent()
            .and_then(|p| p.strip_prefix(src).ok())
            .map(|p| p.display().to_string())
            .ok_or("module directory outside the source tree")?;
        let module_dir = out.join(escape(&module)).join("@v");
        std::fs::create_dir_all(&module_dir)
            .map_err(|e| format!("create {}: {e}", module_dir.display()))?;

        let go_mod = std::fs::read(version_dir.join("go.mod"))
            .map_err(|e| format!("{module}@{version} has no go.mod: {e}"))?;
        std::fs::write(module_dir.join(format!("{version}.mod")), &go_mod)
            .map_err(|e| e.to_string())?;
        std::fs::write(
            module_dir.join(format!("{version}.info")),
            format!("{{\"Version\":\"{version}\",\"Time\":\"2026-01-01T00:00:00Z\"}}\n"),
        )
        .map_err(|e| e.to_string())?;

        let zip_path = module_dir.join(format!("{version}.zip"));
        let mut zip =
            zip::ZipWriter::new(std::fs::File::create(&zip_path).map_err(|e| e.to_string())?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        for file in crate::entries_under(&version_dir)
            .into_iter()
            .filter(|p| p.is_file())
        {
            let relative = file.strip_prefix(&version_dir).map_err(|e| e.to_string())?;
            zip.start_file(
                format!("{module}@{version}/{}", relative.display()),
                options,
            )
            .map_err(|e| e.to_string())?;
            zip.write_all(&std::fs::read(&file).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        }
        zip.finish().map_err(|e| e.to_string())?;

        lists
            .entry(escape(&module))
            .or_default()
            .push(version.clone());
        published.push(format!("{module}@{version}"));
    }
    for (module, versions) in lists {
        let list = versions.iter().fold(String::new(), |mut s, v| {
            let _ = writeln!(s, "{v}");
            s
        });
        std::fs::write(out.join(module).join("@v").join("list"), list)
            .map_err(|e| e.to_string())?;
    }
    Ok(published)
}
